"""Merge the gradebooks of shards (`grader grade --shard K/N`) into one output folder.

Shards can run anywhere (a CI matrix, a Slurm array, a Kubernetes Indexed Job); copy their
output folders to one machine and merge. Each results.json and gradebook.csv is rendered
again from the merged gradebook.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from grader.errors import ExitCode, GraderError
from grader.files import write_text_atomic
from grader.gradebook_db import FILE_NAME, Gradebook

NAME = "merge"
HELP = "merge shard gradebooks into one output folder (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT", help="the merged output folder")
    parser.add_argument("shards", nargs="+", type=Path, metavar="DIR",
                        help="output folders of `grader grade --shard`")


def run(options: argparse.Namespace) -> int:
    from grader.commands.show import questions_of
    from grader.gradebook import gradebook_csv
    from grader.gradescope import results_json

    for folder in options.shards:
        if not (folder / FILE_NAME).is_file():
            raise GraderError(f"{folder} holds no {FILE_NAME}: give `grader grade --out` folders")
    merged = Gradebook.in_folder(options.out)
    count = sum(merged.merge_from(folder / FILE_NAME) for folder in options.shards)
    results = {r.submission_id: r for r in merged.results()}
    for submission_id, result in results.items():
        write_text_atomic(options.out / submission_id / "results.json", results_json(result))
    total = max((r.max_score for r in results.values()), default=0.0)
    write_text_atomic(options.out / "gradebook.csv",
                      gradebook_csv(results.values(), questions_of(results), total))
    Console().print(f"merged {count} submission(s) from {len(options.shards)} shard(s) into "
                    f"{options.out} ({len(results)} in all)")
    return ExitCode.OK
