"""A submission named like the grader's own outputs cannot stop a batch.

Each id names a folder beside the gradebook, the CSV and the class report: a file handed in as
`gradebook.csv.py` once made `OUT/gradebook.csv/`, and the batch then failed to write the
CSV (and `report.html.py` the report, `gradebook.sqlite.py` its own results) for everyone,
at every re-run. Graded beside an honest student; every output is written and every score is
full.
"""

from __future__ import annotations

import csv
import os
import shutil

import pytest
from rich.console import Console

from grader.commands.grade import grade_batch
from grader.course.assignment import find_assignment
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.collect import expand_submissions
from grader.intake.submission import OUTPUT_NAMES
from tests.conftest import REFERENCE, SUBMISSIONS, full_marks

pytestmark = pytest.mark.slow

HOSTILE = SUBMISSIONS / "hostile_output_names"
QUIET = Console(file=open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the module


def test_ids_named_like_outputs_cannot_stop_the_batch(tmp_path):
    batch = tmp_path / "batch"
    shutil.copytree(HOSTILE, batch)
    shutil.copy(SUBMISSIONS / "second_order" / "correct_compact.py", batch / "alice.py")
    assignment = find_assignment("second_order")
    submissions = expand_submissions([batch], assignment)
    out = tmp_path / "out"
    with Grader(
        assignment, GradingOptions(mode=GRADE, reference_dir=REFERENCE / "second_order", sandbox=None)
    ) as grader:
        results = {r.submission_id: r for r in grade_batch(grader, submissions, out, QUIET)}
    hostile = {f"{path.name}" for path in HOSTILE.glob("*.py")}
    assert set(results) == {"alice", *hostile}
    full = sum(full_marks("second_order").values())
    assert all(result.score == full for result in results.values()), {
        i: (r.score, r.problem) for i, r in results.items()
    }
    for name in ("gradebook.csv", "gradebook.sqlite"):
        assert (out / name).is_file(), name
    with open(out / "gradebook.csv", newline="") as stream:
        assert sorted(row["submission"] for row in csv.DictReader(stream)) == sorted(results)
    for submission_id in results:
        assert (out / submission_id / "results.json").is_file(), submission_id
    # every file the batch wrote at the top of its folder is a name no id may take
    written = {entry.name for entry in out.iterdir() if entry.is_file()}
    assert written and written <= OUTPUT_NAMES, written - OUTPUT_NAMES
