"""Show graded results again without regrading: one student's full report, or the gradebook.

Reads what `grader grade` saved in its output folder.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from grader.commands.grade import RESULT_FILE
from grader.errors import ExitCode, GraderError
from grader.report import BatchSummary, SubmissionReport
from grader.results import SubmissionResult

NAME = "show"
HELP = "show saved reports from a grade output folder (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="DIR", help="the folder `grader grade --out` wrote")
    parser.add_argument("ids", nargs="*", metavar="ID", help="submissions to show (default: all, as a table)")


def load_results(out: Path) -> dict[str, SubmissionResult]:
    if not out.is_dir():
        raise GraderError(f"{out}: no such folder (give the folder `grader grade --out` wrote)")
    found = {}
    for path in sorted(out.glob(f"*/{RESULT_FILE}")):
        result = SubmissionResult.from_dict(json.loads(path.read_text()))
        found[result.submission_id] = result
    if not found:
        raise GraderError(f"{out} holds no graded submissions")
    return found


def run(options: argparse.Namespace) -> int:
    results = load_results(options.out)
    console = Console()
    if not options.ids:
        questions = list(dict.fromkeys(t.question for r in results.values() for t in r.tests))
        console.print(BatchSummary(results.values(), questions))
        return ExitCode.OK
    for submission_id in options.ids:
        if submission_id not in results:
            raise GraderError(f"no submission {submission_id!r} in {options.out} "
                              f"(known: {', '.join(sorted(results))})")
        console.print(SubmissionReport(results[submission_id]))
    return ExitCode.OK
