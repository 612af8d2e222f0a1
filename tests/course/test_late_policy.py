"""The late policy at its boundaries, its configuration, and where submission times come from."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from grader.course.assignment import Assignment
from grader.course.late_policy import (
    LatePolicy,
    gradescope_times,
    policy_from_table,
    read_extensions,
    read_submission_times,
)
from grader.errors import ConfigError, GraderError
from tests.conftest import ASSIGNMENTS, full_marks, module_group

pytestmark = module_group("late-batch")

DEADLINE = datetime.datetime(2026, 12, 4, 23, 59, tzinfo=datetime.timezone(datetime.timedelta(hours=-5)))
POLICY = LatePolicy(DEADLINE, per_day=10, cap=30, grace=datetime.timedelta(minutes=15))
NO_GRACE = LatePolicy(DEADLINE, per_day=10)


def at(**delta: float) -> datetime.datetime:
    return DEADLINE + datetime.timedelta(**delta)


def points(policy: LatePolicy, submitted: datetime.datetime, extra_days: float = 0.0) -> float | None:
    penalty = policy.penalty(submitted, extra_days)
    return None if penalty is None else penalty.points


def test_on_time_and_exactly_at_the_deadline_lose_nothing():
    assert POLICY.penalty(at(days=-3)) is None
    assert POLICY.penalty(DEADLINE) is None
    # the same instant written in another offset is the same instant
    assert POLICY.penalty(DEADLINE.astimezone(datetime.UTC)) is None


def test_one_second_late_is_a_whole_day_late():
    penalty = NO_GRACE.penalty(at(seconds=1))
    assert penalty is not None and penalty.points == NO_GRACE.per_day
    assert penalty.seconds_late == 1
    assert "0:00:01 late" in penalty.explanation and "1 day(s) x 10 points" in penalty.explanation


def test_each_day_or_part_of_one_costs_per_day():
    assert points(NO_GRACE, at(days=1)) == 10
    assert points(NO_GRACE, at(days=1, seconds=1)) == 20
    assert points(NO_GRACE, at(days=4, hours=3)) == 50


def test_within_the_grace_period_is_late_but_costs_nothing():
    penalty = POLICY.penalty(at(minutes=15))
    assert penalty is not None and penalty.points == 0
    assert "within the grace period" in penalty.explanation
    # past the grace period, days count from the deadline itself, not from its end
    assert points(POLICY, at(minutes=15, seconds=1)) == 10
    assert points(POLICY, at(days=1, seconds=1)) == 20


def test_the_penalty_is_capped():
    assert points(POLICY, at(days=2, seconds=1)) == 30
    penalty = POLICY.penalty(at(days=9))
    assert penalty is not None and penalty.points == POLICY.cap
    assert "capped at 30" in penalty.explanation


def test_an_extension_moves_that_students_deadline():
    assert points(NO_GRACE, at(days=2), extra_days=2) is None
    assert points(NO_GRACE, at(days=2, seconds=1), extra_days=2) == 10
    assert points(NO_GRACE, at(hours=13), extra_days=0.5) == 10
    penalty = NO_GRACE.penalty(at(days=3), 2)
    assert penalty is not None and "2 extra day(s)" in penalty.explanation


def write_config(folder: Path, late: str) -> Path:
    shutil.copytree(ASSIGNMENTS / "second_order", folder, ignore=shutil.ignore_patterns("__pycache__"))
    config = folder / "assignment.toml"
    config.write_text(config.read_text() + "\n" + late)
    return folder


def test_assignment_toml_reads_its_late_table(tmp_path):
    folder = write_config(
        tmp_path / "second_order",
        "[late]\ndeadline = 2026-12-04T23:59:00-05:00\nper_day = 10\ncap = 30\ngrace_minutes = 15\n",
    )
    assert Assignment.load(folder).late == POLICY
    assert Assignment.load(ASSIGNMENTS / "second_order").late is None


@pytest.mark.parametrize(
    "table, says",
    [
        ('deadline = "2026-12-04T23:59:00"\nper_day = 10', "no offset"),
        ("deadline = 2026-12-04T23:59:00\nper_day = 10", "with its offset"),
        ('deadline = "next friday"\nper_day = 10', "not an ISO 8601"),
        ('deadline = "2026-12-04T23:59:00Z"\nper_day = -1', "late.per_day must be a number >= 0"),
        ('deadline = "2026-12-04T23:59:00Z"', "needs deadline and per_day"),
        ('deadline = "2026-12-04T23:59:00Z"\nper_day = 1\npenalty = 3', "has penalty: use only"),
    ],
)
def test_a_bad_late_table_is_one_line_naming_the_fix(tmp_path, table, says):
    folder = write_config(tmp_path / "second_order", f"[late]\n{table}\n")
    with pytest.raises(GraderError, match=says) as raised:
        Assignment.load(folder)
    assert "\n" not in str(raised.value)


def test_policy_from_table_takes_an_iso_string_with_z():
    policy = policy_from_table({"deadline": "2026-12-05T04:59:00Z", "per_day": 5}, Path("a.toml"))
    assert policy.deadline == DEADLINE and policy.cap is None and policy.grace.total_seconds() == 0
    with pytest.raises(ConfigError):
        policy_from_table([], Path("a.toml"))


def test_submission_times_and_extensions_from_csv(tmp_path):
    times = tmp_path / "times.csv"
    times.write_text("id,submitted_at\nann,2026-12-04T23:59:00-05:00\n\nben,2026-12-05T05:00:00Z\n")
    assert read_submission_times(times) == {"ann": DEADLINE, "ben": at(minutes=1)}
    extensions = tmp_path / "extensions.csv"
    extensions.write_text("id,extra_days\nann,2\nben,0.5\n")
    assert read_extensions(extensions) == {"ann": 2.0, "ben": 0.5}


@pytest.mark.parametrize(
    "name, text, says",
    [
        ("times.csv", "student,time\nann,2026-12-04T23:59:00Z\n", "header id,submitted_at"),
        ("times.csv", "id,submitted_at\nann,yesterday\n", "line 2: 'yesterday' is not an ISO 8601"),
        ("times.csv", "id,submitted_at\nann,2026-12-04T23:59:00\n", "line 2: .* has no offset"),
        (
            "times.csv",
            "id,submitted_at\nann,2026-12-04T23:59:00Z\nann,2026-12-04T23:59:00Z\n",
            "line 3: 'ann' is listed twice",
        ),
        ("extensions.csv", "id,extra_days\nann,two\n", "line 2: extra_days 'two'"),
        ("extensions.csv", "id,extra_days\nann,-1\n", "line 2: extra_days '-1'"),
        ("extensions.csv", "id,extra_days\nann\n", "line 2: write two cells"),
    ],
)
def test_a_bad_csv_is_one_line_naming_file_and_line(tmp_path, name, text, says):
    path = tmp_path / name
    path.write_text(text)
    read = read_submission_times if name == "times.csv" else read_extensions
    with pytest.raises(GraderError, match=says) as raised:
        read(path)
    assert "\n" not in str(raised.value)


def test_gradescope_export_metadata_gives_submission_times(tmp_path):
    (tmp_path / "submission_metadata.yml").write_text(
        "---\n"
        "submission_101:\n"
        "  :submitters:\n"
        "  - :name: Ann\n"
        "    :sid: '1'\n"
        "  :created_at: 2026-12-04 23:59:00.123456000 -05:00\n"
        "  :score: 10.0\n"
        "  :history:\n"
        "  - :created_at: 2026-12-01 10:00:00.000000000 -05:00\n"
        "submission_102:\n"
        "  :created_at: 2026-12-05 05:00:00.000000000 +00:00\n"
    )
    assert gradescope_times(tmp_path) == {
        "submission_101": DEADLINE + datetime.timedelta(microseconds=123456),
        "submission_102": at(minutes=1),
    }
    assert gradescope_times(tmp_path / "elsewhere") == {}


LATE_TABLE = "[late]\ndeadline = 2026-12-04T23:59:00-05:00\nper_day = 10\ncap = 25\ngrace_minutes = 10\n"
METADATA_TIMES = {  # as a Gradescope export's submission_metadata.yml gives them
    "submission_1": DEADLINE,
    "submission_2": at(seconds=1),
    "submission_3": at(minutes=10, seconds=1),
    "submission_4": at(days=5),
    "submission_5": at(days=1),
    "submission_6": at(days=-1),
}
FULL_SCORE = sum(full_marks("second_order").values())  # the late batch's copy of it
EXPECTED_PENALTY = {
    "submission_1": None,
    "submission_2": 0.0,
    "submission_3": 10.0,
    "submission_4": 25.0,
    "submission_5": None,
    "submission_6": 20.0,
    "submission_7": None,
}


@pytest.fixture(scope="module")
def late_batch(tmp_path_factory):
    """A Gradescope export of correct submissions graded under a [late] policy; submission_5
    has a one-day extension, submission_6's time comes from --submitted-at (a day and a
    second late), submission_7 has no time anywhere."""
    from grader.cli import main
    from tests.course_copy import CORRECT, copy_course

    root = tmp_path_factory.mktemp("late")
    assignment = copy_course(root, LATE_TABLE)
    export = root / "assignment_42_export"
    for number in range(1, 8):
        (export / f"submission_{number}").mkdir(parents=True)
        shutil.copy(CORRECT, export / f"submission_{number}" / "second_order.py")
    (export / "submission_metadata.yml").write_text(
        "".join(
            f"submission_{key.split('_')[1]}:\n  :submitters:\n  - :name: Student\n"
            f"  :created_at: {when.strftime('%Y-%m-%d %H:%M:%S.%f000 %z')}\n"
            for key, when in METADATA_TIMES.items()
        )
    )
    times = root / "times.csv"
    times.write_text(
        f"id,submitted_at\nsubmission_6,{at(days=1, seconds=1).isoformat()}\nnobody,{DEADLINE.isoformat()}\n"
    )
    extensions = root / "extensions.csv"
    extensions.write_text("id,extra_days\nsubmission_5,1\nabsent_student,3\n")
    out = root / "out"
    code = main(
        [
            "grade",
            str(assignment),
            str(export),
            "--out",
            str(out),
            "--no-sandbox",
            "--jobs",
            "1",
            "--submitted-at",
            str(times),
            "--extensions",
            str(extensions),
        ]
    )
    return {"code": code, "out": out, "assignment": assignment, "export": export}


@pytest.mark.slow
def test_each_boundary_in_a_graded_batch(late_batch, capsys):
    from grader.gradebook.load import load_batch

    assert late_batch["code"] == 0
    batch = load_batch(late_batch["out"])
    assert sorted(batch.by_id()) == sorted(EXPECTED_PENALTY)  # the metadata file is no submission
    for key, expected in EXPECTED_PENALTY.items():
        standing = batch.by_id()[key]
        assert standing.before_penalty == FULL_SCORE, key
        if expected is None:
            assert standing.late is None, key
        else:
            assert standing.late is not None and standing.penalty == expected, key
        assert standing.total == FULL_SCORE - (expected or 0), key


@pytest.mark.slow
def test_the_penalty_has_its_own_column_and_field_in_the_exports(late_batch):
    import csv
    import json

    rows = {row["submission"]: row for row in csv.DictReader((late_batch["out"] / "gradebook.csv").open())}
    for key, expected in EXPECTED_PENALTY.items():
        assert float(rows[key]["late_penalty"]) == (expected or 0), key
        assert float(rows[key]["score"]) == FULL_SCORE - (expected or 0), key
        assert all(float(rows[key][q]) > 0 for q in ("hvp", "hessian")), key
    results = json.loads((late_batch["out"] / "submission_4" / "results.json").read_text())
    assert results["score"] == 75 and results["extra_data"]["late_penalty"] == 25
    assert "capped at 25" in results["extra_data"]["late"]


@pytest.mark.slow
def test_what_cannot_be_judged_is_said_in_a_line(late_batch, capsys):
    from grader.cli import main

    capsys.readouterr()
    extensions = late_batch["out"].parent / "extensions.csv"
    assert (
        main(
            [
                "grade",
                str(late_batch["assignment"]),
                str(late_batch["export"]),
                "--out",
                str(late_batch["out"]),
                "--no-sandbox",
                "--jobs",
                "1",
                "--extensions",
                str(extensions),
            ]
        )
        == 0
    )
    said = " ".join(capsys.readouterr().out.split())
    assert "1 submission(s) have no submission time (submission_7)" in said
    assert "absent_student" not in said  # an extension for someone yet to hand in is normal
    from grader.gradebook.load import load_batch

    # the export's metadata, read again, does not replace the time the instructor gave
    assert load_batch(late_batch["out"]).by_id()["submission_6"].penalty == 20


@pytest.mark.slow
def test_a_bad_times_file_stops_grade_before_grading(late_batch, tmp_path, capsys):
    from grader.cli import main

    times = tmp_path / "times.csv"
    times.write_text("id,submitted_at\nsubmission_1,5pm\n")
    capsys.readouterr()
    assert (
        main(
            [
                "grade",
                str(late_batch["assignment"]),
                str(late_batch["export"]),
                "--out",
                str(tmp_path / "out"),
                "--no-sandbox",
                "--submitted-at",
                str(times),
            ]
        )
        != 0
    )
    error = capsys.readouterr().err
    assert "line 2: '5pm' is not an ISO 8601" in error and error.count("\n") == 1


def test_grade_says_which_times_it_lacks_canvas_late_marks_and_unknown_ids(tmp_path):
    import io

    from rich.console import Console

    from grader.gradebook.store import Gradebook
    from grader.gradebook.submission_times import canvas_marks_late, record_times
    from grader.intake.submission import Submission
    from tests.course_copy import copy_course

    assignment = Assignment.load(copy_course(tmp_path, LATE_TABLE))
    submissions = [
        Submission("ann_101", tmp_path / "ann_late_101_9_second_order.py"),
        Submission("bo_102", tmp_path / "bo_102_9_second_order.py"),
        Submission("cy\x1b]0;x", tmp_path / "cy.py"),
    ]
    times = tmp_path / "times.csv"
    times.write_text(f"id,submitted_at\nbo_102,{DEADLINE.isoformat()}\nbo_1O2,{DEADLINE.isoformat()}\n")
    stream = io.StringIO()
    gradebook = Gradebook.in_folder(tmp_path / "out")
    try:
        record_times(
            gradebook,
            assignment,
            [],
            submissions,
            Console(file=stream, width=400),
            submitted_at=times,
            extensions=None,
        )
        assert gradebook.submission_times() == {"bo_102": DEADLINE}
    finally:
        gradebook.close()
    said = stream.getvalue()
    assert "names 1 id(s) that are not submissions here (bo_1O2): ignored" in said
    assert "2 submission(s) have no submission time (ann_101, cy\\x1b]0;x)" in said
    assert "Canvas marks 1 of them late (ann_101)" in said
    assert "\x1b" not in said
    assert canvas_marks_late(Path("ann_LATE_101_9_f.py"))
    assert not canvas_marks_late(Path("ann_101_9_late_f.py"))
    assert not canvas_marks_late(Path("ann_late.py"))
