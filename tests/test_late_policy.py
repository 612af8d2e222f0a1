"""The late policy at its boundaries, its configuration, and where submission times come from."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from grader.assignment import Assignment
from grader.errors import ConfigError, GraderError
from grader.late_policy import (LatePolicy, gradescope_times, policy_from_table,
                                read_extensions, read_submission_times)
from tests.conftest import ASSIGNMENTS

DEADLINE = datetime.datetime(2026, 12, 4, 23, 59, tzinfo=datetime.timezone(
    datetime.timedelta(hours=-5)))
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
    assert POLICY.penalty(DEADLINE.astimezone(datetime.timezone.utc)) is None


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
    folder = write_config(tmp_path / "second_order", "[late]\ndeadline = 2026-12-04T23:59:00-05:00\n"
                          "per_day = 10\ncap = 30\ngrace_minutes = 15\n")
    assert Assignment.load(folder).late == POLICY
    assert Assignment.load(ASSIGNMENTS / "second_order").late is None


@pytest.mark.parametrize("table, says", [
    ('deadline = "2026-12-04T23:59:00"\nper_day = 10', "no offset"),
    ('deadline = 2026-12-04T23:59:00\nper_day = 10', "with its offset"),
    ('deadline = "next friday"\nper_day = 10', "not an ISO 8601"),
    ('deadline = "2026-12-04T23:59:00Z"\nper_day = -1', "late.per_day must be a number >= 0"),
    ('deadline = "2026-12-04T23:59:00Z"', "needs deadline and per_day"),
    ('deadline = "2026-12-04T23:59:00Z"\nper_day = 1\npenalty = 3', "has penalty: use only"),
])
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


@pytest.mark.parametrize("name, text, says", [
    ("times.csv", "student,time\nann,2026-12-04T23:59:00Z\n", "header id,submitted_at"),
    ("times.csv", "id,submitted_at\nann,yesterday\n", "line 2: 'yesterday' is not an ISO 8601"),
    ("times.csv", "id,submitted_at\nann,2026-12-04T23:59:00\n", "line 2: .* has no offset"),
    ("times.csv", "id,submitted_at\nann,2026-12-04T23:59:00Z\nann,2026-12-04T23:59:00Z\n",
     "line 3: 'ann' is listed twice"),
    ("extensions.csv", "id,extra_days\nann,two\n", "line 2: extra_days 'two'"),
    ("extensions.csv", "id,extra_days\nann,-1\n", "line 2: extra_days '-1'"),
    ("extensions.csv", "id,extra_days\nann\n", "line 2: write two cells"),
])
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
        "  :created_at: 2026-12-05 05:00:00.000000000 +00:00\n")
    assert gradescope_times(tmp_path) == {
        "submission_101": DEADLINE + datetime.timedelta(microseconds=123456),
        "submission_102": at(minutes=1)}
    assert gradescope_times(tmp_path / "elsewhere") == {}
