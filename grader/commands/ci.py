"""Autograde a repository in CI: report, job summary, annotations, JUnit, and a Points line.

With $GRADER_REFERENCE pointing to the reference folder, the hidden tests run too, in the
sandbox only (unless --unsafe-no-sandbox says otherwise): outside it, student code could read
them and the reference. They show their question, points and pass or fail, never their inputs,
expected values or the student's output. Without it, the public tests run against their
recorded expectations.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from grader import results
from grader.course.assignment import Assignment, find_reference
from grader.errors import ExitCode, GraderError
from grader.grading import CHECK, GRADE, Grader, GradingOptions
from grader.intake.files import write_text_atomic
from grader.intake.submission import Submission, locate_assignment
from grader.outputs.adjustments import points
from grader.outputs.junit import junit_xml
from grader.outputs.markdown import markdown_report
from grader.outputs.submission_report import SubmissionReport
from grader.results import SubmissionResult
from grader.sandbox.bubblewrap import NO_SANDBOX_HINT, Sandbox

NAME = "ci"
HELP = "autograde a repository in CI (GitHub Actions and others)"
DETAILS = ("full", "questions", "total")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path", nargs="?", default=".", type=Path, help="the student's file or repository folder (default: .)"
    )
    parser.add_argument("--assignment", help="the assignment name, if not clear from the files")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML here")
    parser.add_argument(
        "--fail-on",
        choices=("failure", "never"),
        default="failure",
        help="fail the job when a test fails (default), or never",
    )
    parser.add_argument(
        "--detail",
        choices=DETAILS,
        default="full",
        help="how much to show: full, questions (per-question table only), total (the Points line only)",
    )
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="UNSAFE: run the hidden tests without the sandbox, where student "
        "code can read the hidden tests and the reference solution and "
        "print them into the log; only for code you trust",
    )


def run(options: argparse.Namespace) -> int:
    assignment = locate_assignment(options.path, options.assignment)
    with Grader(assignment, grading_options(assignment, options)) as grader:
        result, _ = grader.grade(Submission.at(options.path, assignment))
    shown = without_hidden_details(result)
    emit(shown, options, _student_file(options.path, assignment.file_name), assignment)
    failed = not result.all_passed
    return ExitCode.TESTS_FAILED if failed and options.fail_on == "failure" else ExitCode.OK


def grading_options(assignment: Assignment, options: argparse.Namespace) -> GradingOptions:
    """Public tests against their recorded answers; with $GRADER_REFERENCE, hidden tests too,
    in the sandbox, on inputs drawn anew for this run."""
    reference = os.environ.get("GRADER_REFERENCE")
    grading = GradingOptions(mode=GRADE if reference else CHECK)
    if reference:
        grading.reference_dir = find_reference(assignment, Path(reference))
        grading.run_slow = True
        grading.sandbox = _sandbox(assignment, options)
        # New hidden inputs on every run: a submission that prints what it was given in one
        # run (through a public test's message) learns nothing about the next.
        grading.seed_salt = os.urandom(16).hex()
    return grading


UNSAFE_HINT = (
    "pass --unsafe-no-sandbox to run them without it, where student code can read "
    "the hidden tests and the reference"
)


def _sandbox(assignment: Assignment, options: argparse.Namespace) -> Sandbox | None:
    """The sandbox the hidden tests run in; none only when --unsafe-no-sandbox asks for it."""
    if options.unsafe_no_sandbox:
        return None
    try:
        return Sandbox.require(assignment)
    except GraderError as exc:
        reason = " ".join(str(exc).split())
        reason = (
            reason.replace(NO_SANDBOX_HINT, UNSAFE_HINT)
            if NO_SANDBOX_HINT in reason
            else f"{reason}; or {UNSAFE_HINT}"
        )
        raise GraderError(f"hidden tests (GRADER_REFERENCE) run only in the sandbox: {reason}") from None


def without_hidden_details(result: SubmissionResult) -> SubmissionResult:
    """Hidden tests keep their question, points and outcome; names and messages go, and so
    does the student's output, which could repeat the hidden inputs."""
    tests = []
    for index, test in enumerate(result.tests):
        if test.visibility == results.HIDDEN:
            test = replace(
                test, name=f"hidden test {index + 1} of {test.question}", message="", traceback="", nodeid=""
            )
        tests.append(test)
    hidden_ran = any(test.visibility == results.HIDDEN for test in result.tests)
    return replace(result, tests=tests, output="" if hidden_ran else result.output)


def emit(
    result: SubmissionResult, options: argparse.Namespace, student_file: Path | None, assignment: Assignment
) -> None:
    console = Console()
    if options.detail != "total":
        report = SubmissionReport(result, catalogue=assignment.misconceptions)
        console.print(report if options.detail == "full" else report.table_only())
    if options.junit:
        write_text_atomic(options.junit, junit_xml([result]))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as stream:
            stream.write(markdown_report(result, detail=options.detail) + "\n")
    if os.environ.get("GITHUB_ACTIONS") == "true" and options.detail != "total":
        for line in github_annotations(result, student_file):
            print(line)
    print(f"Points: {points(result.score)}/{points(result.max_score)}")
    sys.stdout.flush()


def github_annotations(result: SubmissionResult, student_file: Path | None) -> list[str]:
    """One ::error per failing question, at the line where the student defines it."""
    lines = _definition_lines(student_file)
    found = []
    for question in result.questions():
        if question.status in (results.PASSED, results.NOT_RUN):
            continue
        first = next(
            t
            for t in result.tests
            if t.question == question.question and not t.passed and t.status != results.NOT_RUN
        )
        message = first.message or f"a hidden test of {question.question} failed"
        where = f"file={student_file}" if student_file else ""
        if student_file and question.question in lines:
            where += f",line={lines[question.question]}"
        title = f"{question.question}: {points(question.score)}/{points(question.max_score)} points"
        found.append(
            f"::error {where},title={_escape(title, True)}::{_escape(message)}".replace(
                "::error ,", "::error "
            )
        )
    return found


def _escape(text: str, in_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if in_property else text


def _definition_lines(path: Path | None) -> dict[str, int]:
    if path is None or path.suffix != ".py":
        return {}
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError, ValueError):
        return {}
    return {node.name: node.lineno for node in tree.body if isinstance(node, ast.FunctionDef)}


def _student_file(path: Path, file_name: str) -> Path | None:
    if path.is_file():
        return path
    return path / file_name if (path / file_name).is_file() else None
