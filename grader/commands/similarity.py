"""Find submissions whose code is unusually alike: pairs with a score and the matching lines,
and clusters of three or more.

Takes the submissions as `grader grade` does (each SUBMISSION a .py file, a notebook, a .zip,
a folder holding the assignment's file, or a folder of those), since the gradebook keeps
results, not code. Names, comments, docstrings, blank lines, literal values and the order of
functions do not count; code given in the assignment's stub does not count; code that much
of the class writes counts little. A score is 0 for nothing in common and 1 for the same
work; a pair at or above --threshold is suspicious, and suspicious pairs that chain form a
cluster. A score is a reason to read two files side by side, never a verdict.

With --out, writes OUT/similarity.json beside the gradebook (the HTML report reads it):
each pair's score, cluster and matching line ranges in either file, and those files' lines.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.course.assignment import Assignment, find_assignment
from grader.errors import ExitCode, GraderError, SubmissionError
from grader.gradebook.store import output_errors
from grader.intake.collect import expand_submissions
from grader.intake.files import read_capped, write_text_atomic
from grader.intake.submission import Submission
from grader.similarity import Pair, Report, Settings, Source, compare
from grader.untrusted_text import NAME as NAME_LIMIT
from grader.untrusted_text import bounded

NAME = "similarity"
HELP = "find pairs and clusters of submissions whose code is unusually alike (instructors)"
FILE_NAME = "similarity.json"
REGIONS_SHOWN = 3
MAX_SOURCE_CHARACTERS = 1_000_000
"""A homework's module is a few hundred lines; a file padded to megabytes is compared on its
head (tokenising 50 MiB would take minutes) and named."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name (a folder under assignments/) or folder")
    parser.add_argument(
        "submissions",
        nargs="+",
        type=Path,
        metavar="SUBMISSION",
        help=".py, .ipynb, .zip, a folder holding the assignment's file, "
        "or a folder of those (as for `grader grade`)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help=f"write DIR/{FILE_NAME} for the HTML report (e.g. the folder `grader grade --out` wrote)",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=Settings.threshold,
        metavar="SCORE",
        help="score from which a pair is suspicious and joins a cluster, "
        f"between 0 and 1 (default {Settings.threshold})",
    )
    parser.add_argument(
        "--top", type=int, default=20, metavar="N", help="pairs shown in the table, best first (default 20)"
    )


def run(options: argparse.Namespace) -> int:
    if not 0 < options.threshold <= 1:
        raise GraderError(
            f"invalid --threshold {options.threshold}: use a score above 0 and at most 1, e.g. 0.4"
        )
    if options.top < 1:
        raise GraderError(f"invalid --top {options.top}: use 1 or more")
    assignment = find_assignment(options.assignment)
    submissions = expand_submissions(options.submissions, assignment)
    sources, notes = read_sources(submissions, assignment)
    if len(sources) < 2:
        raise GraderError(f"{len(sources)} readable submission(s): give at least two to compare")
    stub = assignment.stub_path.read_text() if assignment.stub_path.is_file() else None
    report = compare(sources, stub, Settings(threshold=options.threshold))
    console = Console()
    for submission_id, note in notes:
        console.print(Text(f"{bounded(submission_id, NAME_LIMIT)}: {note}"))
    console.print(pairs_table(report, options.top))
    console.print(Text(summary(report)))
    if options.out is not None:
        with output_errors(options.out):
            document = {
                **report.to_dict(),
                "notes": [
                    {"id": bounded(submission_id, NAME_LIMIT), "note": note} for submission_id, note in notes
                ],
            }
            write_text_atomic(
                options.out / FILE_NAME, json.dumps(document, indent=1, ensure_ascii=False) + "\n"
            )
        console.print(Text(f"Wrote {options.out / FILE_NAME}"))
    return ExitCode.OK


def read_sources(
    submissions: list[Submission], assignment: Assignment
) -> tuple[list[Source], list[tuple[str, str]]]:
    """Each submission's module text, through the same intake as grading (notebooks become
    their code cells, zips and folders are searched); what cannot be read is left out with
    its one-line reason, as grading would give it zero. A very long file is cut, and named."""
    sources, notes = [], []
    for submission in submissions:
        with tempfile.TemporaryDirectory(prefix="grader-similarity-") as workdir:
            try:
                module, _ = submission.install(assignment, Path(workdir))
                text = read_capped(module).decode("utf-8")
            except (SubmissionError, UnicodeDecodeError) as exc:
                notes.append((submission.id, f"left out: {exc}"))
                continue
        if len(text) > MAX_SOURCE_CHARACTERS:
            notes.append(
                (
                    submission.id,
                    f"compared on its first {MAX_SOURCE_CHARACTERS:,} characters of {len(text):,}",
                )
            )
            text = text[:MAX_SOURCE_CHARACTERS]
        sources.append(Source(submission.id, text))
    return sources, notes


def pairs_table(report: Report, top: int) -> Table:
    """The best pairs; every id is a Text, so nothing a file name holds is read as markup."""
    table = Table(
        title=f"most alike pairs (suspicious from {report.settings.threshold:g})", title_justify="left"
    )
    for column in ("#", "submission", "submission", "score", "cluster", "matching lines"):
        table.add_column(column, justify="right" if column in ("#", "score") else "left")
    for rank, pair in enumerate(report.pairs[:top], 1):
        style = "bold red" if pair.score >= report.settings.threshold else ""
        table.add_row(
            str(rank),
            Text(bounded(pair.a, NAME_LIMIT)),
            Text(bounded(pair.b, NAME_LIMIT)),
            Text(f"{pair.score:.2f}", style=style),
            "" if pair.cluster is None else str(pair.cluster),
            matching_lines(pair),
        )
    return table


def matching_lines(pair: Pair) -> str:
    """The largest matching regions as `a-lines ↔ b-lines`."""
    largest = sorted(pair.regions, key=lambda r: r.a[0] - r.a[1])[:REGIONS_SHOWN]
    shown = [f"{r.a[0]}-{r.a[1]} ↔ {r.b[0]}-{r.b[1]}" for r in sorted(largest, key=lambda r: r.a)]
    more = len(pair.regions) - len(shown)
    return ", ".join(shown) + (f" (+{more})" if more > 0 else "")


def summary(report: Report) -> str:
    lines = [
        f"{len(report.submissions)} submissions compared: {report.suspicious_total} "
        f"suspicious pair(s), {len(report.clusters)} cluster(s) of three or more"
    ]
    for number, members in enumerate(report.clusters, 1):
        lines.append(f"cluster {number}: " + ", ".join(bounded(m, NAME_LIMIT) for m in members))
    return "\n".join(lines)
