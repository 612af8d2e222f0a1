"""Merge the gradebooks of shards (`grader grade --shard K/N`) into one output folder.

Shards can run anywhere (a CI matrix, a Slurm array, a Kubernetes Indexed Job); copy their
output folders to one machine and merge. Every output (each results.json, gradebook.csv,
report.html) is rendered again from the merged gradebook, overrides and late penalties
included.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from grader.errors import ExitCode, GraderError
from grader.gradebook.load import load_batch
from grader.gradebook.store import FILE_NAME, Gradebook, output_errors
from grader.outputs.registry import try_class_report, write_outputs

NAME = "merge"
HELP = "merge shard gradebooks into one output folder (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT", help="the merged output folder")
    parser.add_argument(
        "shards", nargs="+", type=Path, metavar="DIR", help="output folders of `grader grade --shard`"
    )


def run(options: argparse.Namespace) -> int:
    for folder in options.shards:
        if not (folder / FILE_NAME).is_file():
            raise GraderError(f"{folder} holds no {FILE_NAME}: give `grader grade --out` folders")
    merged = Gradebook.in_folder(options.out)
    try:
        count = sum(merged.merge_from(folder / FILE_NAME) for folder in options.shards)
    finally:
        merged.close()
    batch = load_batch(options.out)
    console = Console()
    with output_errors(options.out):
        write_outputs(options.out, batch)
    console.print(try_class_report(options.out, batch), markup=False, highlight=False)
    console.print(
        f"merged {count} submission(s) from {len(options.shards)} shard(s) into "
        f"{options.out} ({len(batch.standings)} in all)"
    )
    return ExitCode.OK
