"""Scaffold a new assignment: both halves, its notebook and its recorded expectations.

`grader new NAME` writes assignments/NAME/ (stub, lessons, public tests, probes, config,
misconception catalogue) and reference/NAME/ (solution, hidden tests, a known-wrong variant)
under the course folder, with one example question; `grader validate NAME` passes on it as
generated. `--module FILE` names the student's module apart from the assignment;
`--template class` makes the question a method of a class the tests drive. Edit the files, then `grader record NAME`, `python -m grader.authoring.notebook NAME` and
`grader validate NAME` again.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.authoring.expectations import recorded_expectations
from grader.authoring.scaffold import TEMPLATES, scaffold, write_text
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
    parser.add_argument(
        "--module",
        metavar="FILE",
        help="the student's module, if not named as the assignment (sine_maml: sine_maml.py)",
    )
    parser.add_argument(
        "--template",
        choices=sorted(TEMPLATES),
        default="function",
        help="the example question: a function (default) or a method of a class",
    )


def run(options: argparse.Namespace) -> int:
    from grader.authoring.notebook import notebook_text  # nbformat: slow, and only `new` needs it

    module = options.module.removesuffix(".py") if options.module else None
    written = scaffold(options.name, options.course, module=module, template=options.template)
    assignment = Assignment.load(options.course / "assignments" / options.name)
    write_text(assignment.notebook_path, notebook_text(assignment))
    path, text = recorded_expectations(str(assignment.folder), options.course / "reference" / options.name)
    write_text(Path(path), text)
    for file in [*written, assignment.notebook_path, Path(path)]:
        print(f"wrote {file}")
    print(f"next: edit them, then `grader validate {assignment.folder}`")
    return ExitCode.OK
