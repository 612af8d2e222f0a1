"""Show graded results again without regrading: one student's full report, or the gradebook.

Reads the gradebook that `grader grade` keeps in its output folder. What it prints came from
students (ids from file names, messages, output): the reports escape it, and so do the
errors here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from grader.errors import ExitCode, GraderError
from grader.gradebook_db import FILE_NAME, Gradebook
from grader.report import BatchSummary, SubmissionReport
from grader.results import SubmissionResult
from grader.untrusted_text import escape_controls

NAME = "show"
HELP = "show saved reports from a grade output folder (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="DIR", help="the folder `grader grade --out` wrote")
    parser.add_argument("ids", nargs="*", metavar="ID", help="submissions to show (default: all, as a table)")


def load_results(out: Path) -> dict[str, SubmissionResult]:
    """Every result in a grade output folder's gradebook, by submission id."""
    if not (out / FILE_NAME).is_file():
        raise GraderError(f"{out} holds no gradebook: give the folder `grader grade --out` wrote")
    gradebook = Gradebook.in_folder(out)
    try:
        found = {result.submission_id: result for result in gradebook.results()}
    finally:
        gradebook.close()
    if not found:
        raise GraderError(f"{out} holds no graded submissions")
    return found


def questions_of(results: dict[str, SubmissionResult]) -> list[str]:
    return list(dict.fromkeys(t.question for r in results.values() for t in r.tests))


def run(options: argparse.Namespace) -> int:
    results = load_results(options.out)
    console = Console()
    if not options.ids:
        console.print(BatchSummary(results.values(), questions_of(results)))
        return ExitCode.OK
    for submission_id in options.ids:
        if submission_id not in results:
            known = ", ".join(escape_controls(known_id) for known_id in sorted(results))
            raise GraderError(f"no submission {submission_id!r} in "
                              f"{options.out} (known: {known})")
        console.print(SubmissionReport(results[submission_id]))
    return ExitCode.OK
