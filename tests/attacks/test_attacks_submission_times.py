"""A submission cannot say when anyone handed in.

Gradescope's export keeps every submission's time in one `submission_metadata.yml` at its top,
beside the `submission_NNN/` folders. A student can upload a file of that name too, and it
lands inside their own folder: graded as `grader grade A export/submission_*` (each folder
named, a shell glob), the grader once read it as the export's, so one student's file set
their own time and made a classmate five days late (25 points off a correct submission).
Only a folder of submissions is an export; its file speaks only of the submissions in it.
"""

from __future__ import annotations

import shutil

import pytest

from grader.cli import main
from tests.conftest import SUBMISSIONS, full_marks
from tests.course.test_late_policy import LATE_TABLE
from tests.course_copy import CORRECT, copy_course, grade

pytestmark = pytest.mark.slow

HOSTILE = SUBMISSIONS / "hostile_own_metadata"
FULL_SCORE = sum(full_marks("second_order").values())


def test_a_metadata_file_inside_a_submission_sets_no_ones_time(tmp_path, capsys):
    from grader.gradebook.load import load_batch

    assignment = copy_course(tmp_path, LATE_TABLE)
    export = tmp_path / "export"
    shutil.copytree(HOSTILE, export)
    (export / "submission_1").mkdir()
    shutil.copy(CORRECT, export / "submission_1" / "second_order.py")
    out = tmp_path / "out"
    folders = sorted(str(path) for path in export.iterdir())
    assert main(["grade", str(assignment), *folders, "--out", str(out), "--no-sandbox", "--jobs", "1"]) == 0
    batch = load_batch(out).by_id()
    assert sorted(batch) == ["submission_1", "submission_2"]
    for key in batch:  # neither has a time an instructor or Gradescope gave: none is judged
        assert (batch[key].total, batch[key].late) == (FULL_SCORE, None), key
    said = " ".join(capsys.readouterr().out.split())
    assert "2 submission(s) have no submission time" in said


def test_an_exports_own_metadata_still_gives_its_submissions_times(tmp_path):
    from grader.gradebook.load import load_batch

    assignment = copy_course(tmp_path, LATE_TABLE)
    export = tmp_path / "export"
    shutil.copytree(HOSTILE, export)
    (export / "submission_1").mkdir()
    shutil.copy(CORRECT, export / "submission_1" / "second_order.py")
    (export / "submission_metadata.yml").write_text(
        "submission_1:\n  :created_at: 2026-12-06 23:59:00.000000000 -05:00\n"
        "submission_2:\n  :created_at: 2026-12-04 23:00:00.000000000 -05:00\n"
    )
    out = tmp_path / "out"
    assert grade(assignment, export, out) == 0
    batch = load_batch(out).by_id()
    assert (batch["submission_1"].total, batch["submission_1"].penalty) == (FULL_SCORE - 20, 20)
    assert (batch["submission_2"].total, batch["submission_2"].late) == (FULL_SCORE, None)
