"""Build a Gradescope autograder zip from the course: upload it as the assignment's autograder.

The zip holds setup.sh and run_autograder, this grader as a wheel, exact pins (torch's CPU
build), the assignment with its reference and hidden tests, and the settings below. Hidden
tests show after the due date by default. Try it first with `grader gradescope-try`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.autograder.bundle import build_zip, write_zip
from grader.autograder.settings import HIDDEN_VISIBILITIES, AutograderSettings
from grader.course.assignment import find_assignment, find_reference
from grader.errors import ExitCode, GraderError
from grader.version import __version__

NAME = "gradescope"
HELP = "build a Gradescope autograder zip for an assignment (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name (a folder under assignments/) or folder")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE.zip", help="the zip to write")
    parser.add_argument(
        "--reference", type=Path, metavar="DIR", help="the reference folder (default: reference/NAME)"
    )
    parser.add_argument(
        "--hidden-visibility",
        choices=HIDDEN_VISIBILITIES,
        default="after_due_date",
        help="when students see hidden tests and their total (default: after_due_date)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=600,
        metavar="SECONDS",
        help="the timeout set on Gradescope (default 600)",
    )
    parser.add_argument(
        "--memory",
        type=int,
        default=768,
        metavar="MIB",
        help="the container's memory on Gradescope (default 768)",
    )


def run(options: argparse.Namespace) -> int:
    if options.out.suffix != ".zip":
        raise GraderError(f"{options.out}: give a file name ending in .zip")
    assignment = find_assignment(options.assignment)
    reference = find_reference(assignment, options.reference)
    settings = AutograderSettings(
        assignment=assignment.name,
        hidden_visibility=options.hidden_visibility,
        timeout_seconds=options.timeout,
        memory_mib=options.memory,
        grader_version=__version__,
    )
    data = build_zip(assignment, reference, settings)
    try:
        write_zip(options.out, data)
    except OSError as exc:
        raise GraderError(f"cannot write {options.out}: {exc.strerror or exc}") from None
    print(
        f"Wrote {options.out} ({len(data) / 1e6:.1f} MB): upload it as the autograder of {assignment.name} "
        f"(base image Ubuntu 22.04; {options.memory} MB, timeout {options.timeout} s); "
        f"hidden tests {options.hidden_visibility}"
    )
    return ExitCode.OK
