"""Prove an assignment is ready to hand out; each problem is one line naming file and line.

Checks: the config and catalogue load; the needed files exist; the notebook matches the stub;
every misconception code named exists; expected.json is fresh; the reference gets full marks
on every public and hidden test (in the sandbox, unless --no-sandbox); the untouched stub
gets 0 with every question not attempted; each variant in variants.py loses points on its
question and carries its code. Exit status 0 only when all hold.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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


def run(options: argparse.Namespace) -> int:
    problems = validate(
        options.assignment,
        reference=options.reference,
        sandboxed=not options.no_sandbox,
        progress=lambda step: print(f"checking {step}…", file=sys.stderr),
        report=print,
    )
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s): not ready to hand out")
        return ExitCode.TESTS_FAILED
    print(f"{options.assignment} is ready to hand out")
    return ExitCode.OK
