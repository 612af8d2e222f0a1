"""Grade submissions with the public and hidden tests, and keep the gradebook.

Each SUBMISSION is a .py file, a notebook, a .zip, a folder holding the assignment's file,
or a folder of such submissions (one per student, as LMS exports give them). Results go to
OUT/gradebook.sqlite, the source of truth, one transaction per submission; OUT/<id>/results.json
(Gradescope's format) and OUT/gradebook.csv are rendered from it. Re-running the same command
skips submissions whose content and assignment are unchanged, so an interrupted batch is
completed, not redone.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from grader.batch import BatchSettings, grade_all, stopped_by_signals, uninterrupted
from grader.course.assignment import Assignment, find_assignment, find_reference
from grader.errors import ExitCode, GraderError
from grader.gradebook.load import load_batch
from grader.gradebook.regrade import merged, regradable
from grader.gradebook.standing import GradedBatch
from grader.gradebook.store import Gradebook, open_gradebook, output_errors
from grader.gradebook.submission_times import record_times
from grader.grading import Grader
from grader.intake.collect import expand_submissions
from grader.intake.files import write_text_atomic
from grader.intake.fingerprint import content_hash, folder_hash
from grader.intake.submission import Submission
from grader.outputs.class_table import ClassStatistics, GradebookTable
from grader.outputs.gradescope import results_json
from grader.outputs.registry import render, try_class_report, write, write_outputs
from grader.results import SubmissionResult
from grader.sandbox.bubblewrap import Sandbox
from grader.sandbox.cgroups import describe
from grader.wire.limits import ResourceLimits

NAME = "grade"
HELP = "grade submissions with public and hidden tests (instructors, CI)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name (a folder under assignments/) or folder")
    parser.add_argument(
        "submissions",
        nargs="+",
        type=Path,
        metavar="SUBMISSION",
        help=".py, .ipynb, .zip, a folder holding the assignment's file, or a folder of those",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="where the gradebook and each results.json are written",
    )
    parser.add_argument(
        "--reference",
        type=Path,
        metavar="DIR",
        help="folder of the reference solution (default: reference/ beside assignments/)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="grading processes in parallel (default: the number of cores)",
    )
    parser.add_argument(
        "--regrade",
        action="store_true",
        help="grade again submissions whose content and assignment are unchanged",
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="grade only shard K of N (a deterministic slice); merge with `grader merge`",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code without bubblewrap (only on trusted machines)",
    )
    parser.add_argument(
        "--question",
        action="append",
        metavar="Q",
        help="regrade only this question of every graded submission (after "
        "fixing its test), keeping the others' results; repeatable",
    )
    parser.add_argument(
        "--submitted-at",
        type=Path,
        metavar="FILE",
        help="CSV id,submitted_at (ISO 8601 with offset): when each came in, for the [late] policy",
    )
    parser.add_argument(
        "--extensions",
        type=Path,
        metavar="FILE",
        help="CSV id,extra_days: days added to a student's deadline (the whole "
        "list: it replaces earlier extensions)",
    )


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid shard {text!r}: write K/N, e.g. 2/8") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"invalid shard {text!r}: K must be between 1 and N")
    return index, count


def in_shard(submission_id: str, shard: tuple[int, int] | None) -> bool:
    """A stable choice: the same id lands in the same shard whatever else is in the batch."""
    if shard is None:
        return True
    index, count = shard
    return int(hashlib.sha256(submission_id.encode()).hexdigest(), 16) % count == index - 1


def run(options: argparse.Namespace) -> int:
    """Grade the batch; SIGTERM, SIGINT or SIGHUP ends every process it started, keeps every
    result recorded so far (a rerun grades the rest) and exits as an interrupt does."""
    with stopped_by_signals():
        return _run(options)


def _run(options: argparse.Namespace) -> int:
    if options.jobs < 1:
        raise GraderError(f"invalid --jobs {options.jobs}: use 1 or more")
    assignment = find_assignment(options.assignment)
    reference_dir = find_reference(assignment, options.reference)
    questions = assignment.question_selection(options.question)
    every = expand_submissions(options.submissions, assignment)
    submissions = [s for s in every if in_shard(s.id, options.shard)]
    if not options.no_sandbox:
        Sandbox.require(assignment)  # fail now, in one line, if it cannot run here
    console = Console()
    if not options.no_sandbox:
        console.print(
            describe(assignment.limits.memory_mib, ResourceLimits().processes), markup=False, highlight=False
        )
    if (line := _jobs_line(options.jobs)) is not None:
        console.print(line, markup=False, highlight=False)
    gradebook = open_gradebook(options.out)
    with output_errors(options.out):
        gradebook.set_assignment_folder(assignment.folder)
        record_times(
            gradebook,
            assignment,
            options.submissions,
            every,
            console,
            submitted_at=options.submitted_at,
            extensions=options.extensions,
        )
    version = folder_hash([assignment.folder, reference_dir])
    hashes = {s.id: content_hash(s.path) for s in submissions}
    todo = [
        s for s in submissions if options.regrade or not gradebook.is_current(s.id, hashes[s.id], version)
    ]
    if questions is not None:
        todo = regradable(submissions, gradebook, hashes)
    elif len(todo) < len(submissions):
        console.print(
            f"{len(submissions) - len(todo)} submission(s) unchanged since they were "
            "graded: kept (--regrade grades them again)"
        )
    settings = BatchSettings(
        assignment.folder, reference_dir, sandbox=not options.no_sandbox, questions=questions
    )
    try:
        with contextlib.closing(grade_all(settings, todo, options.jobs)) as results:
            graded: Iterable[SubmissionResult] = results
            if questions is not None:
                graded = merged(results, gradebook, questions, assignment)
            record_batch(
                graded, gradebook, hashes, version, options.out, console, total=len(todo), questions=questions
            )
    except BaseException:
        _try_to_write_gradebook_csv(options.out, gradebook, assignment)
        raise
    batch = write_outputs_of(options.out, assignment)
    console.print(GradebookTable(batch))
    console.print(ClassStatistics(batch))
    console.print(
        f"Wrote {options.out / 'gradebook.sqlite'}, {options.out / 'gradebook.csv'} "
        f"and {len(batch.standings)} results.json"
    )
    console.print(try_class_report(options.out, batch), markup=False, highlight=False)
    return ExitCode.OK


def _jobs_line(jobs: int) -> str | None:
    """One line when --jobs asks for more submissions at once than there are cores."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if jobs <= cores:
        return None
    return (
        f"--jobs {jobs} grades more submissions at once than the {cores} core(s) here: they take "
        "turns, each charged only its own CPU time, and the batch takes longer"
    )


def record_batch(
    results: Iterable[SubmissionResult],
    gradebook: Gradebook,
    hashes: dict[str, str],
    version: str,
    out: Path,
    console: Console,
    *,
    total: int,
    questions: frozenset[str] | None = None,
) -> list[SubmissionResult]:
    """Record each result as it arrives: its results.json, then the gradebook.

    In that order, a submission that the gradebook holds always has its results.json, since
    a re-run skips what the gradebook holds. A write that fails (a full disk) stops the
    batch with one line; every submission recorded before it is kept.
    """
    recorded = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("grading", total=total, rate="")
        for result in results:
            with output_errors(out), uninterrupted():
                write_text_atomic(out / result.submission_id / "results.json", results_json(result))
                gradebook.record(result, hashes[result.submission_id], version, questions)
            recorded.append(result)
            elapsed = progress.tasks[0].elapsed or 1e-9
            progress.update(
                task,
                advance=1,
                description=f"graded {result.submission_id}",
                rate=f"{len(recorded) / elapsed * 60:.1f}/min",
            )
    return recorded


def write_gradebook_csv(out: Path, gradebook: Gradebook, assignment: Assignment) -> None:
    """gradebook.csv as the gradebook holds it now, overrides and late penalties applied."""
    with output_errors(out):
        write(out, render("csv", load_batch(out, assignment)))


def write_outputs_of(out: Path, assignment: Assignment) -> GradedBatch:
    """Every results.json and gradebook.csv rendered again from the whole gradebook (a
    results.json written as its submission was graded knew no override or late penalty)."""
    with output_errors(out):
        batch = load_batch(out, assignment)
        write_outputs(out, batch)
    return batch


def _try_to_write_gradebook_csv(out: Path, gradebook: Gradebook, assignment: Assignment) -> None:
    """Render the csv of what was recorded while an error is on its way; never hide that one."""
    with contextlib.suppress(GraderError, sqlite3.Error):
        write_gradebook_csv(out, gradebook, assignment)


def grade_batch(
    grader: Grader, submissions: list[Submission], out: Path, console: Console
) -> list[SubmissionResult]:
    """Grade in this process with a given Grader (custom limits), recording as `run` does."""
    gradebook = open_gradebook(out)
    hashes = {s.id: content_hash(s.path) for s in submissions}
    results = (grader.grade(submission)[0] for submission in submissions)
    try:
        recorded = record_batch(results, gradebook, hashes, "custom", out, console, total=len(submissions))
    except BaseException:
        _try_to_write_gradebook_csv(out, gradebook, grader.assignment)
        raise
    write_outputs_of(out, grader.assignment)
    return recorded
