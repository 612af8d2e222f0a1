"""Show graded results again without regrading: one student's full report, or the gradebook.

Reads the gradebook that `grader grade` keeps in its output folder, with the instructor's
overrides and late penalties (grader/gradebook/standing.py). What it prints came from students (ids
from file names, messages, output): the reports escape it, and so do the errors here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from grader.errors import ExitCode, GraderError
from grader.gradebook.load import load_batch
from grader.outputs.adjustments import adjustment_lines
from grader.outputs.class_table import GradebookTable
from grader.outputs.submission_report import SubmissionReport, plain
from grader.untrusted_text import escape_controls

NAME = "show"
HELP = "show saved reports from a grade output folder (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="DIR", help="the folder `grader grade --out` wrote")
    parser.add_argument("ids", nargs="*", metavar="ID", help="submissions to show (default: all, as a table)")


def run(options: argparse.Namespace) -> int:
    batch = load_batch(options.out)
    if not batch.standings:
        raise GraderError(f"{options.out} holds no graded submissions")
    console = Console()
    if not options.ids:
        console.print(GradebookTable(batch))
        return ExitCode.OK
    standings = batch.by_id()
    for submission_id in options.ids:
        if submission_id not in standings:
            known = ", ".join(escape_controls(known_id) for known_id in sorted(standings))
            raise GraderError(f"no submission {submission_id!r} in {options.out} (known: {known})")
        standing = standings[submission_id]
        console.print(SubmissionReport(standing.result, catalogue=batch.catalogue))
        for line in adjustment_lines(standing):
            console.print(plain(line, style="bold"))
        if standing.overrides or standing.late:
            console.print(
                plain(f"Total after adjustments: {standing.total:g}/{standing.max_points:g}", style="bold")
            )
    return ExitCode.OK
