"""Export a graded batch in the formats courses already use, from its gradebook.

csv: the gradebook, one column per question. canvas: Canvas's gradebook import CSV.
gradescope: one results.json per submission. junit: JUnit XML. markdown: a report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.commands.show import load_results, questions_of
from grader.errors import ExitCode, GraderError
from grader.files import write_text_atomic

NAME = "export"
HELP = "export a graded batch: csv, canvas, gradescope, junit or markdown (instructors)"
FORMATS = ("csv", "canvas", "gradescope", "junit", "markdown")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, metavar="DIR", help="the folder `grader grade --out` wrote")
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument("--to", type=Path, metavar="PATH",
                        help="file to write (a folder for gradescope); default: standard output, "
                             "or DIR itself for gradescope")


def render(results: dict, fmt: str) -> str:
    from grader.assignment import find_assignment
    from grader.canvas import canvas_csv
    from grader.gradebook import gradebook_csv
    from grader.junit import junit_xml
    from grader.markdown_report import markdown_report

    batch = [results[key] for key in sorted(results)]
    if fmt == "csv":
        total = max((r.max_score for r in batch), default=0.0)
        return gradebook_csv(batch, questions_of(results), total)
    if fmt == "canvas":
        assignment = find_assignment(batch[0].assignment)
        return canvas_csv(batch, assignment.title, assignment.total_points)
    if fmt == "junit":
        return junit_xml(batch)
    return "\n".join(markdown_report(result) for result in batch)


def run(options: argparse.Namespace) -> int:
    from grader.gradescope import results_json

    results = load_results(options.out)
    if options.format == "gradescope":
        folder = options.to or options.out
        for submission_id, result in results.items():
            write_text_atomic(folder / submission_id / "results.json", results_json(result))
        print(f"wrote {len(results)} results.json under {folder}")
        return ExitCode.OK
    text = render(results, options.format)
    if options.to is None:
        sys.stdout.write(text)
    elif options.to.is_dir():
        raise GraderError(f"{options.to} is a folder: give a file name")
    else:
        write_text_atomic(options.to, text)
    return ExitCode.OK
