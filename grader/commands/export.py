"""Export a graded batch in the formats courses already use, from its gradebook.

Every format is rendered from the same graded batch (grader/outputs/registry.py): totals,
overridden points and late penalties as grader/gradebook/standing.py defines them. csv: the gradebook,
one column per question. canvas: Canvas's gradebook import CSV. gradescope: one results.json
per submission. junit: JUnit XML. markdown: a report. html: the instructor's class report.
terminal: the summary `grader grade` prints, as plain text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.errors import ExitCode, GraderError
from grader.gradebook.load import load_batch
from grader.outputs.registry import FORMATS, render, write

NAME = "export"
HELP = "export a graded batch: " + ", ".join(FORMATS) + " (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="DIR", help="the folder `grader grade --out` wrote")
    parser.add_argument("--format", choices=list(FORMATS), required=True)
    parser.add_argument(
        "--to",
        type=Path,
        metavar="PATH",
        help="file to write (a folder for gradescope); default: standard output, "
        "or DIR itself for gradescope",
    )


def run(options: argparse.Namespace) -> int:
    batch = load_batch(options.out)
    if not batch.standings:
        raise GraderError(f"{options.out} holds no graded submissions")
    files = render(options.format, batch, options.out)
    if not FORMATS[options.format].single_file:
        folder = options.to or options.out
        if folder.exists() and not folder.is_dir():
            raise GraderError(f"{folder} is a file: give a folder for {options.format}")
        write(folder, files)
        print(f"wrote {len(files)} file(s) under {folder}")
        return ExitCode.OK
    (text,) = files.values()
    if options.to is None:
        sys.stdout.write(text)
    elif options.to.is_dir():
        raise GraderError(f"{options.to} is a folder: give a file name")
    else:
        write(options.to.parent, {options.to.name: text})
    return ExitCode.OK
