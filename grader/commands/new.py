"""Scaffold a new assignment: both halves, its notebook and its recorded expectations.

`grader new NAME` writes assignments/NAME/ (stub, lessons, public tests, probes, config,
misconception catalogue) and reference/NAME/ (solution, hidden tests, a known-wrong variant)
under the course folder, with one example question; `grader validate NAME` passes on it as
generated. Edit the files, then `grader record NAME`, `python -m grader.authoring.notebook NAME` and
`grader validate NAME` again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.authoring.expectations import recorded_expectations
from grader.authoring.scaffold import scaffold, write_text
from grader.course.assignment import Assignment
from grader.errors import ExitCode

NAME = "new"
HELP = "scaffold a new assignment and its reference (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="the assignment's name, also its module's (an identifier)")
    parser.add_argument(
        "--course",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the course folder holding assignments/ and reference/ (default: .)",
    )


def run(options: argparse.Namespace) -> int:
    from grader.authoring.notebook import notebook_text  # nbformat: slow, and only `new` needs it

    written = scaffold(options.name, options.course)
    assignment = Assignment.load(options.course / "assignments" / options.name)
    write_text(assignment.notebook_path, notebook_text(assignment))
    path, text = recorded_expectations(str(assignment.folder), options.course / "reference" / options.name)
    write_text(Path(path), text)
    for file in [*written, assignment.notebook_path, Path(path)]:
        print(f"wrote {file}")
    print(f"next: edit them, then `grader validate {assignment.folder}`")
    return ExitCode.OK
