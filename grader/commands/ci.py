"""Autograde a repository in CI: report, job summary, annotations, JUnit, and a Points line.

With $GRADER_REFERENCE pointing to the reference folder, the hidden tests run too; they
show their question, points and pass or fail, never their inputs or expected values.
Without it, the public tests run against their recorded expectations.
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
from grader.errors import ExitCode, GraderError
from grader.files import write_text_atomic
from grader.junit import junit_xml
from grader.markdown_report import markdown_report
from grader.report import SubmissionReport, points
from grader.results import SubmissionResult

NAME = "ci"
HELP = "autograde a repository in CI (GitHub Actions and others)"
DETAILS = ("full", "questions", "total")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", default=".", type=Path,
                        help="the student's file or repository folder (default: .)")
    parser.add_argument("--assignment", help="the assignment name, if not clear from the files")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML here")
    parser.add_argument("--fail-on", choices=("failure", "never"), default="failure",
                        help="fail the job when a test fails (default), or never")
    parser.add_argument("--detail", choices=DETAILS, default="full",
                        help="how much to show: full, questions (per-question table only), "
                             "total (the Points line only)")
    parser.add_argument("--sandbox", choices=("auto", "on", "off"), default="auto",
                        help="run hidden tests in the sandbox: when possible (auto), always, never")


def run(options: argparse.Namespace) -> int:
    from grader.commands.check import locate_assignment
    from grader.grading import CHECK, GRADE, Grader, GradingOptions
    from grader.submission import Submission

    assignment = locate_assignment(options.path, options.assignment)
    reference = os.environ.get("GRADER_REFERENCE")
    mode = GRADE if reference else CHECK
    grading = GradingOptions(mode=mode)
    if reference:
        from grader.assignment import find_reference

        grading.reference_dir = find_reference(assignment, Path(reference))
        grading.run_slow = True
        grading.sandbox = _sandbox(assignment, options.sandbox)
    with Grader(assignment, grading) as grader:
        result, _ = grader.grade(Submission.at(options.path, assignment))
    shown = without_hidden_details(result)
    emit(shown, options, _student_file(options.path, assignment.file_name))
    failed = not result.all_passed
    return ExitCode.TESTS_FAILED if failed and options.fail_on == "failure" else ExitCode.OK


def _sandbox(assignment, choice: str):
    from grader.sandbox import Sandbox

    if choice == "off":
        return None
    try:
        return Sandbox.require(assignment)
    except GraderError:
        if choice == "on":
            raise
        return None


def without_hidden_details(result: SubmissionResult) -> SubmissionResult:
    """Hidden tests keep their question, points and outcome; names and messages go."""
    tests = []
    for index, test in enumerate(result.tests):
        if test.visibility == results.HIDDEN:
            test = replace(test, name=f"hidden test {index + 1} of {test.question}",
                           message="", traceback="", nodeid="")
        tests.append(test)
    return replace(result, tests=tests)


def emit(result: SubmissionResult, options: argparse.Namespace, student_file: Path | None) -> None:
    console = Console()
    if options.detail != "total":
        report = SubmissionReport(result)
        console.print(report if options.detail == "full" else report.table_only())
    if options.junit:
        write_text_atomic(options.junit, junit_xml([result]))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as stream:
            stream.write(markdown_report(result, detail=options.detail) + "\n")
    if os.environ.get("GITHUB_ACTIONS") == "true" and options.detail != "total":
        for line in annotations(result, student_file):
            print(line)
    print(f"Points: {points(result.score)}/{points(result.max_score)}")
    sys.stdout.flush()


def annotations(result: SubmissionResult, student_file: Path | None) -> list[str]:
    """One ::error per failing question, at the line where the student defines it."""
    lines = _definition_lines(student_file)
    found = []
    for question in result.questions():
        if question.status in (results.PASSED, results.NOT_RUN):
            continue
        first = next(t for t in result.tests if t.question == question.question and not t.passed
                     and t.status != results.NOT_RUN)
        message = first.message or f"a hidden test of {question.question} failed"
        where = f"file={student_file}" if student_file else ""
        if student_file and question.question in lines:
            where += f",line={lines[question.question]}"
        title = f"{question.question}: {points(question.score)}/{points(question.max_score)} points"
        found.append(f"::error {where},title={_escape(title, True)}::{_escape(message)}".replace(
            "::error ,", "::error "))
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
