"""Grade submissions with the public and hidden tests, and write the gradebook.

Each SUBMISSION is a .py file, a folder holding the assignment's file, or a folder of such
submissions (one per student). For each submission OUT/<id>/results.json is written in
Gradescope's format, and OUT/gradebook.csv is rewritten after every submission, so an
interrupted batch loses nothing already graded.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from grader.assignment import Assignment, find_assignment, find_reference
from grader.errors import ExitCode, GraderError
from grader.files import write_text_atomic
from grader.gradebook import gradebook_csv
from grader.gradescope import results_json
from grader.grading import GRADE, Grader, GradingOptions
from grader.report import BatchSummary
from grader.results import SubmissionResult
from grader.sandbox import Sandbox
from grader.submission import Submission

RESULT_FILE = "grader-result.json"

NAME = "grade"
HELP = "grade submissions with public and hidden tests (instructors, CI)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name (second_order, maml) or folder")
    parser.add_argument("submissions", nargs="+", type=Path, metavar="SUBMISSION",
                        help=".py file, folder holding the assignment's file, or folder of those")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where results.json files and gradebook.csv are written")
    parser.add_argument("--reference", type=Path, metavar="DIR",
                        help="folder of the reference solution (default: reference/ beside "
                             "assignments/)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code without bubblewrap (only on trusted machines)")


def run(options: argparse.Namespace) -> int:
    assignment = find_assignment(options.assignment)
    reference_dir = find_reference(assignment, options.reference)
    submissions = expand_submissions(options.submissions, assignment)
    sandbox = None if options.no_sandbox else Sandbox.require(assignment)
    grader = Grader(assignment, GradingOptions(
        mode=GRADE, reference_dir=reference_dir, run_slow=True,
        make_launcher=sandbox.launcher if sandbox else None))
    console = Console()
    batch = grade_batch(grader, submissions, options.out, console)
    console.print(BatchSummary(batch, list(assignment.questions)))
    console.print(f"Wrote {len(batch)} results and {options.out / 'gradebook.csv'}")
    return ExitCode.OK


def grade_batch(grader: Grader, submissions: list[Submission], out: Path,
                console: Console) -> list[SubmissionResult]:
    assignment = grader.assignment
    batch: list[SubmissionResult] = []
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("grading", total=len(submissions))
        for submission in submissions:
            progress.update(task, description=f"grading {submission.id}")
            result, _ = grader.grade(submission)
            batch.append(result)
            save_result(out, result)
            write_text_atomic(out / "gradebook.csv", gradebook_csv(
                batch, list(assignment.questions), assignment.total_points))
            progress.advance(task)
    return batch


def save_result(out: Path, result: SubmissionResult) -> None:
    """Gradescope's results.json, and the full result that `grader show` re-renders."""
    folder = out / result.submission_id
    write_text_atomic(folder / "results.json", results_json(result))
    write_text_atomic(folder / RESULT_FILE, json.dumps(result.to_dict(), indent=1) + "\n")


def _holds_one_submission(folder: Path, assignment: Assignment) -> bool:
    return any((folder / f"{assignment.module_name}{suffix}").exists()
               for suffix in (".py", ".ipynb"))


def expand_submissions(paths: list[Path], assignment: Assignment) -> list[Submission]:
    """Each path is one submission, or a folder with one submission per entry."""
    submissions = []
    for path in paths:
        if not path.exists():
            raise GraderError(f"{path}: no such file or folder")
        if path.is_dir() and not _holds_one_submission(path, assignment):
            submissions += [Submission.at(entry, assignment) for entry in sorted(path.iterdir())
                            if not entry.name.startswith((".", "__"))]
        else:
            submissions.append(Submission.at(path, assignment))
    seen: dict[str, Path] = {}
    for submission in submissions:
        if submission.id in seen:
            raise GraderError(f"two submissions have the id {submission.id!r} "
                              f"({seen[submission.id]} and {submission.path}): rename one")
        seen[submission.id] = submission.path
    return submissions
