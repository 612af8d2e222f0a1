"""List the instructor's overrides in an output folder: who gave which points, when and why.

One line per override, with the points the tests gave beside it and the assignment version
that graded the question, so an override made before a regrade can be checked against the
new result.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.errors import ExitCode
from grader.gradebook.load import load_batch
from grader.gradebook.store import open_existing
from grader.untrusted_text import escape_controls

NAME = "overrides"
HELP = "list the overrides in a graded folder (who, when, why)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT", help="the folder `grader grade --out` wrote")


def run(options: argparse.Namespace) -> int:
    open_existing(options.out).close()
    batch = load_batch(options.out)
    lines = [
        f"{standing.submission_id} {o.question}: {o.points:g} points (the tests gave "
        f"{standing.graded_points(o.question):g}, graded by version "
        f"{standing.version_of(o.question) or 'unknown'}), set by {o.by} at {o.at}: {o.reason}"
        for standing in batch.standings
        for o in standing.overrides
    ]
    for line in lines or [f"no overrides in {options.out}"]:
        print(escape_controls(line))
    return ExitCode.OK
