"""Run the public tests on your work and show what passes, what fails, and why.

Expected values were recorded from the reference solution ahead of time, so this works
offline. Hidden tests, run after the deadline, hold the rest of the points.
"""

from __future__ import annotations

import argparse
import atexit
import gc
from pathlib import Path

from rich.console import Console

from grader.errors import ExitCode
from grader.grading import CHECK, Grader, GradingOptions
from grader.intake.files import write_text_atomic
from grader.intake.submission import Submission, locate_assignment
from grader.outputs.submission_report import SubmissionReport

NAME = "check"
HELP = "run the public tests on your work (students)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        default=".",
        type=Path,
        help="your assignment file (.py or .ipynb) or its folder (default: .)",
    )
    parser.add_argument("--assignment", help="the assignment name, if not clear from the file name")
    parser.add_argument(
        "--question",
        action="append",
        metavar="Q",
        help="check only this question (a function name); repeatable",
    )
    parser.add_argument(
        "--slow", action="store_true", help="also run the tests marked slow (long training runs)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")


def run(options: argparse.Namespace) -> int:
    _quick_exit()
    assignment = locate_assignment(options.path, options.assignment)
    questions = assignment.question_selection(options.question)
    console = Console()
    with (
        Grader(
            assignment,
            GradingOptions(mode=CHECK, run_slow=options.slow, questions=questions, torch_threads=1),
        ) as grader,
        console.status(f"checking {assignment.file_name}…"),
    ):
        result, _ = grader.grade(Submission.at(options.path, assignment))
    console.print(SubmissionReport(result, catalogue=assignment.misconceptions))
    if options.json:
        import json

        write_text_atomic(options.json, json.dumps(result.to_dict(), indent=2) + "\n")
    return ExitCode.OK if result.all_passed else ExitCode.TESTS_FAILED


def _quick_exit() -> None:
    """As the interpreter exits, skip the collector's walks over every torch object still in
    memory (about 0.25 s of a student's wait); everything is still flushed and closed."""
    atexit.unregister(gc.freeze)  # once, however often run() is called in one process
    atexit.register(gc.freeze)
