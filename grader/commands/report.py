"""Write the instructor's class report of a graded batch: one self-contained HTML file.

The score distribution; per question its histogram, mean, share of full marks and the tests
failed most often; what the class got wrong (each recognised mistake, ranked by the points it
cost); the slowest submissions and every limit hit; a row per student linking to that
student's report; and similar submissions where `grader similarity` has run. It reads the
gradebook (overrides and late penalties included) and needs no network to open or print.
`grader grade` writes it to OUT/report.html at the end of every batch.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.errors import ExitCode, GraderError
from grader.gradebook.load import load_batch
from grader.outputs.registry import write_class_report

NAME = "report"
HELP = "write the class report of a graded batch as one HTML file (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="OUT", help="the folder `grader grade --out` wrote")
    parser.add_argument(
        "--html", type=Path, metavar="FILE", help="where to write it (default: OUT/report.html)"
    )


def run(options: argparse.Namespace) -> int:
    if options.html is not None and options.html.is_dir():
        raise GraderError(
            f"{options.html} is a folder: give a file name, e.g. {options.html / 'report.html'}"
        )
    batch = load_batch(options.out)
    if not batch.standings:
        raise GraderError(f"{options.out} holds no graded submissions")
    print(f"wrote {write_class_report(options.out, batch, options.html)}")
    return ExitCode.OK
