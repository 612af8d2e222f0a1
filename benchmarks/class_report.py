"""How long the class report takes for a large class: a graded folder's results, repeated
under new ids up to N submissions, rendered as `grader grade` renders OUT/report.html.

    .venv/bin/python benchmarks/class_report.py OUT [N]
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

from grader.gradebook.load import load_batch
from grader.gradebook.standing import graded_batch
from grader.outputs.html_report import class_report


def main(out: Path, count: int) -> None:
    graded = load_batch(out)
    results = [s.result for s in graded.standings]
    many = [dataclasses.replace(results[i % len(results)], submission_id=f"s{i:05d}") for i in range(count)]
    batch = graded_batch(
        many, questions=graded.questions, max_points=graded.max_points, catalogue=graded.catalogue
    )
    started = time.perf_counter()
    page = class_report(batch, out)
    seconds = time.perf_counter() - started
    print(f"{count} submissions: {seconds:.1f} s, {len(page.encode()) / 2**20:.1f} MiB of HTML")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
