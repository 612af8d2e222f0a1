"""Give one question of one submission the points you decide, with the reason, or take that back.

`grader override OUT ID QUESTION POINTS --reason TEXT` records the points in OUT's gradebook
with who gave them (your login name, or --by NAME), when (UTC) and why; they replace what
the tests gave that question in every output, marked as an override, and stay through every
regrade until removed with `grader override OUT ID QUESTION --remove`. `grader overrides OUT`
lists them. The outputs in OUT are rendered again at once.
"""

from __future__ import annotations

import argparse
import datetime
import getpass
import math
from pathlib import Path

from grader.course.assignment import Assignment
from grader.errors import ExitCode, GraderError
from grader.gradebook.load import load_batch, recorded_assignment
from grader.gradebook.standing import GradedBatch, Override, Standing
from grader.gradebook.store import Gradebook, open_existing, output_errors
from grader.outputs.registry import try_class_report, write_outputs
from grader.untrusted_text import MESSAGE, bounded, escape_controls, first_names
from grader.untrusted_text import NAME as NAME_LENGTH

NAME = "override"
HELP = "set (or --remove) an instructor's points for one question of one submission"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT", help="the folder `grader grade --out` wrote")
    parser.add_argument("id", metavar="ID", help="the submission id (as `grader show OUT` lists)")
    parser.add_argument("question", metavar="QUESTION", help="the question (a function name)")
    parser.add_argument(
        "points",
        nargs="?",
        type=_points,
        metavar="POINTS",
        help="the question's points, from 0 to its maximum",
    )
    parser.add_argument("--reason", help="why (required when setting points); shown in every output")
    parser.add_argument("--by", metavar="NAME", help="who decided (default: your login name)")
    parser.add_argument(
        "--remove", action="store_true", help="remove this question's override: the tests' points count again"
    )


def _points(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"invalid points {text!r}: give a number, e.g. 7.5")
    return value


def run(options: argparse.Namespace) -> int:
    gradebook = open_existing(options.out)
    try:
        assignment = checked_target(gradebook, options.out, options.id, options.question)
        if options.remove:
            _remove(gradebook, options)
        else:
            _set(gradebook, options, assignment)
    finally:
        gradebook.close()
    batch = load_batch(options.out, assignment)
    rerender(options.out, batch)
    print(escape_controls(describe(batch.by_id()[options.id], options.question)))
    return ExitCode.OK


def checked_target(gradebook: Gradebook, out: Path, submission_id: str, question: str) -> Assignment:
    """The assignment of a recorded submission that has this question, or one line saying
    what to give instead."""
    result = gradebook.result_of(submission_id)
    if result is None:
        known = sorted(gradebook.recorded_hashes())
        shown = first_names(known)
        raise GraderError(
            f"no submission {submission_id!r} in {out} (ids there: "
            f"{escape_controls(shown) or 'none'}); "
            "give an id as `grader show OUT` lists it"
        )
    assignment = recorded_assignment(result.assignment, gradebook.assignment_folder())
    if question not in assignment.questions:
        raise GraderError(
            f"unknown question {question!r} in {assignment.name}: choose from "
            f"{', '.join(assignment.questions)}"
        )
    return assignment


def _set(gradebook: Gradebook, options: argparse.Namespace, assignment: Assignment) -> None:
    if options.points is None:
        raise GraderError(
            "give the points (grader override OUT ID QUESTION POINTS --reason TEXT), or --remove"
        )
    most = assignment.questions[options.question].total
    if not 0 <= options.points <= most:
        raise GraderError(
            f"{options.points:g} points is outside 0..{most:g} for "
            f"{options.question}: give a number from 0 to {most:g}"
        )
    reason = (options.reason or "").strip()
    if not reason:
        raise GraderError("say why with --reason TEXT: it is shown in every output")
    by = (options.by or _login()).strip()
    if not by:
        raise GraderError("--by NAME must not be empty")
    gradebook.set_override(
        options.id,
        Override(
            options.question,
            options.points,
            bounded(reason, MESSAGE),
            bounded(by, NAME_LENGTH),
            datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        ),
    )


def _remove(gradebook: Gradebook, options: argparse.Namespace) -> None:
    if options.points is not None:
        raise GraderError("give POINTS or --remove, not both")
    if not gradebook.remove_override(options.id, options.question):
        raise GraderError(
            f"{options.id} has no override of {options.question} to remove "
            f"(`grader overrides {options.out}` lists them)"
        )


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no user database entry (a container)
        raise GraderError("cannot tell who you are: give --by NAME") from None


def rerender(out: Path, batch: GradedBatch) -> None:
    """Render OUT's outputs again (its class report too, where there is one), so that none
    shows the points from before."""
    with output_errors(out):
        write_outputs(out, batch)
    if (out / "report.html").is_file():
        print(try_class_report(out, batch))


def describe(standing: Standing, question: str) -> str:
    """One line: the question's points now, what the tests gave, and the total."""
    override = standing.override_of(question)
    graded = f"{standing.graded_points(question):g}"
    if override is None:
        now = f"{standing.submission_id} {question}: the tests' {graded} points count"
    else:
        now = (
            f"{standing.submission_id} {question}: {override.points:g} points (the tests "
            f"gave {graded}), by {override.by} at {override.at}: {override.reason}"
        )
    return f"{now}; total {standing.total:g}/{standing.max_points:g}"
