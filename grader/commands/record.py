"""Record the public tests' expected values from the reference solution.

Students' machines have no reference: `grader check` compares against these recordings.
Recording also proves the reference passes every public test. With --check, nothing is
written: the command fails if the recorded file is stale, judged as grading compares:
the same tests and inputs (by digest), values within grading's tolerances.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from grader.authoring.expectations import recorded_expectations
from grader.authoring.freshness import stale_differences
from grader.errors import ExitCode
from grader.intake.files import READABLE_BY_ALL, write_text_atomic

NAME = "record"
HELP = "re-record the public tests' expected values from the reference (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name (a folder under assignments/) or folder")
    parser.add_argument("--reference", type=Path, metavar="DIR", help="folder of the reference solution")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the recorded expectations are stale"
    )


def run(options: argparse.Namespace) -> int:
    path, text = recorded_expectations(options.assignment, options.reference)
    console = Console()
    current = Path(path).read_text() if Path(path).is_file() else ""
    if options.check:
        # Judged as grading compares (within tolerances, inputs by digest), never bit for
        # bit: another CPU computes some values a last bit differently (grader/authoring/freshness.py).
        problems = stale_differences(current, text)
        if problems:
            console.print(f"{path} is stale: run `grader record {options.assignment}`", markup=False)
            for problem in problems:
                console.print(f"  {problem}", markup=False, highlight=False)
            return ExitCode.TESTS_FAILED
        console.print(f"{path} is up to date")
        return ExitCode.OK
    write_text_atomic(Path(path), text, READABLE_BY_ALL)
    console.print(f"recorded the public expectations in {path}")
    return ExitCode.OK
