"""List the instructor's overrides in an output folder: who gave which points, when and why.

Each line shows the points the tests gave beside the override, and the assignment version
that graded the question, so an override made before a regrade can be checked against the
new result.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from grader.commands.override import open_existing
from grader.errors import ExitCode
from grader.standing import load_batch

NAME = "overrides"
HELP = "list the overrides in a graded folder (who, when, why)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT", help="the folder `grader grade --out` wrote")


def run(options: argparse.Namespace) -> int:
    open_existing(options.out).close()
    batch = load_batch(options.out)
    table = Table("submission", "question", "points", "tests gave", "by", "at (UTC)", "reason",
                  "graded by version", title=f"Overrides in {options.out}")
    for standing in batch.standings:
        for override in standing.overrides:
            cells = (standing.submission_id, override.question, f"{override.points:g}",
                     f"{standing.graded_points(override.question):g}", override.by, override.at,
                     override.reason, standing.version_of(override.question) or "")
            table.add_row(*(Text(cell) for cell in cells))  # plain text: never rich markup
    console = Console()
    if table.row_count:
        console.print(table)
    else:
        console.print(f"no overrides in {options.out}", markup=False, highlight=False)
    return ExitCode.OK
