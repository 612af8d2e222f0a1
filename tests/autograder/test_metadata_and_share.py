"""The student key from Gradescope's metadata, and the CPU share time limits are charged for."""

from __future__ import annotations

import json
import os
from pathlib import Path

from grader.autograder.cpu_share import cpu_share
from grader.autograder.metadata import UNKNOWN, SubmissionMetadata
from grader.autograder.trial import gradescope_metadata


def test_the_key_is_the_students_not_the_submissions(tmp_path: Path):
    first, resubmitted = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(gradescope_metadata(1234)))
    resubmitted.write_text(json.dumps({**gradescope_metadata(1234), "id": 99}))
    assert (
        SubmissionMetadata.read(first).student_key
        == SubmissionMetadata.read(resubmitted).student_key
        == "gs-1234"
    )
    group = {**gradescope_metadata(7), "users": [{"id": 9}, {"id": 7}, {"id": "9"}]}
    first.write_text(json.dumps(group))
    assert SubmissionMetadata.read(first).student_key == "gs-7+9"


def test_unusable_metadata_is_a_note_not_a_crash(tmp_path: Path):
    path = tmp_path / "submission_metadata.json"
    for content in ("", "[1]", json.dumps({"users": [{"id": "\x1b[2J"}]}), "x" * (2 << 20)):
        path.write_text(content)
        read = SubmissionMetadata.read(path)
        assert read.student_key == UNKNOWN and read.problem
    assert SubmissionMetadata.read(tmp_path / "missing.json").problem


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_the_tightest_quota_on_the_way_up_is_the_share(tmp_path: Path):
    own = tmp_path / "self-cgroup"
    own.write_text("0::/container/grading\n")
    write(tmp_path / "container" / "cpu.max", "50000 100000\n")
    write(tmp_path / "container" / "grading" / "cpu.max", "max 100000\n")
    assert cpu_share(tmp_path, own) == min(0.5, len(os.sched_getaffinity(0)))
    own.write_text("4:cpu,cpuacct:/box\n")
    write(tmp_path / "cpu,cpuacct" / "cpu.cfs_quota_us", "-1\n")
    write(tmp_path / "cpu,cpuacct" / "cpu.cfs_period_us", "100000\n")
    write(tmp_path / "cpu,cpuacct" / "box" / "cpu.cfs_quota_us", "25000\n")
    write(tmp_path / "cpu,cpuacct" / "box" / "cpu.cfs_period_us", "100000\n")
    assert cpu_share(tmp_path, own) == min(0.25, len(os.sched_getaffinity(0)))
