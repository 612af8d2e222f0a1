"""One student's files that share an id cannot stop the batch.

Canvas downloads each file of a submission on its own, under one id (`alice_12_345_...` and
`alice_12_346_...` are both `alice_12`): a student who handed in notes beside the code, or
their code split across two files, once stopped `grader grade` for everyone ("two
submissions have the id"). hostile_same_id holds such files; graded beside honest students,
the entry that is the assignment's file is graded (alice), an id none of whose entries is
(carol), or several are (mallory), is a zero row with its reason, and everyone else is graded.
"""

from __future__ import annotations

import csv
import shutil

import pytest

from grader.errors import GraderError
from tests.conftest import SUBMISSIONS, full_marks
from tests.course_copy import CORRECT, copy_course, grade

pytestmark = pytest.mark.slow

HOSTILE = SUBMISSIONS / "hostile_same_id"


def test_files_sharing_an_id_cost_only_that_student(tmp_path, capsys):
    assignment = copy_course(tmp_path)
    folder = tmp_path / "canvas"
    shutil.copytree(HOSTILE, folder)
    for name in (
        "alice_12_345_second_order.py",
        "bob_13_347_second_order.py",
        "mallory_15_1_second_order.py",
        "mallory_15_2_second_order-1.py",
    ):
        shutil.copy(CORRECT, folder / name)
    out = tmp_path / "out"
    assert grade(assignment, folder, out) == 0
    with open(out / "gradebook.csv", newline="") as stream:
        rows = {row["submission"]: row for row in csv.DictReader(stream)}
    assert sorted(rows) == ["alice_12", "bob_13", "carol_14", "mallory_15"]
    assert {key: float(row["score"]) for key, row in rows.items()} == {
        "alice_12": sum(full_marks("second_order").values()),
        "bob_13": sum(full_marks("second_order").values()),
        "carol_14": 0,
        "mallory_15": 0,
    }
    assert "2 entries carry the id carol_14" in rows["carol_14"]["problem"]
    assert "none of them is second_order.py" in rows["carol_14"]["problem"]
    assert "more than one of them" in rows["mallory_15"]["problem"]


def test_the_same_folder_given_twice_is_still_an_error(tmp_path):
    from grader.course.assignment import Assignment
    from grader.intake.collect import expand_submissions

    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(CORRECT, folder / "ann.py")
    shutil.copy(CORRECT, folder / "bo.py")
    with pytest.raises(GraderError, match="two submissions have the id 'ann'"):
        expand_submissions([folder, folder], Assignment.load(copy_course(tmp_path)))
