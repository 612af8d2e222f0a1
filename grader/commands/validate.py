"""Prove an assignment is ready to hand out; each problem is one line naming file and line.

Checks: the config and catalogue load; the needed files exist; the notebook matches the stub;
every misconception code named exists; expected.json is fresh; the reference gets full marks
on every public and hidden test (in the sandbox, unless --no-sandbox); the untouched stub
gets 0 with every question not attempted; each variant in variants.py loses points on its
question and carries its code. Exit status 0 only when all hold. Where a test bounds a value
(expect_at_most), the reference is graded on --draws more draws and each bound's margin
printed, with a warning under 10%.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.authoring.margins import DEFAULT_DRAWS
from grader.authoring.validation import validate
from grader.errors import ExitCode

NAME = "validate"
HELP = "check that an assignment is ready to hand out (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name (a folder under assignments/) or folder")
    parser.add_argument("--reference", type=Path, metavar="DIR", help="folder of the reference solution")
    parser.add_argument(
        "--no-sandbox", action="store_true", help="grade the reference, stub and variants without the sandbox"
    )
    parser.add_argument(
        "--course",
        type=Path,
        metavar="DIR",
        help="the course folder holding assignments/ and reference/ (default: found from here)",
    )
    parser.add_argument(
        "--draws",
        type=_draws,
        default=DEFAULT_DRAWS,
        metavar="N",
        help=f"grade the reference N more times where a test bounds a value, to report its margin "
        f"(default {DEFAULT_DRAWS}; 0 skips)",
    )


def _draws(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise argparse.ArgumentTypeError(f"invalid draws {text!r}: give a whole number, 0 or more")
    return count


def run(options: argparse.Namespace) -> int:
    assignment = options.assignment
    if options.course is not None and not Path(assignment).is_dir():
        assignment = str(options.course / "assignments" / assignment)
    problems = validate(
        assignment,
        reference=options.reference,
        sandboxed=not options.no_sandbox,
        progress=lambda step: print(f"checking {step}…", file=sys.stderr),
        report=print,
        draws=options.draws,
    )
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s): not ready to hand out")
        return ExitCode.TESTS_FAILED
    print(f"{options.assignment} is ready to hand out")
    return ExitCode.OK
