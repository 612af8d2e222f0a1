"""SIGTERM, SIGINT or SIGHUP of `grader grade` ends every process it started, at once.

The batch runs in a control group of the test's own (pids hierarchy), so every process it
starts stays inside it (the fork server, the grading processes, their sandboxes, the
students' processes in their own groups below it): a signal must leave that group empty
within a few seconds while one submission sleeps in a question, keep the gradebook whole, and
a rerun must grade only what was not recorded.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox import cgroups
from tests.conftest import ROOT, SANDBOX_GROUP
from tests.course_copy import CORRECT, ZEROED

pytestmark = [SANDBOX_GROUP, pytest.mark.slow]

SLEEPS = """

import time


def first_order_grads(x, y):  # the first call of three questions never returns
    time.sleep(10**6)


def hessian(f, x):
    time.sleep(10**6)
"""
FEW_SECONDS = 10.0


@pytest.fixture
def batch_group() -> Iterator[Path]:
    """A pids group of this test's own, to start the batch in and look into afterwards."""
    if os.geteuid() != 0:
        pytest.skip("the sandbox needs root")
    mounts, own = cgroups._mounts(), cgroups._own_groups()
    if "pids" not in mounts or "pids" not in own:
        pytest.skip("no pids hierarchy to watch the batch with")
    folder = mounts["pids"] / own["pids"].lstrip("/") / f"test-grade-signals-{os.getpid()}"
    folder.mkdir()
    yield folder
    for group in sorted(folder.rglob("*"), reverse=True) + [folder]:
        if group.is_dir():
            cgroups._kill_and_remove(group, 5.0)


def processes_in(folder: Path) -> list[int]:
    return [int(pid) for procs in folder.rglob("cgroup.procs") for pid in procs.read_text().split()]


def start(folder: Path, submissions: Path, out: Path) -> subprocess.Popen[str]:
    """`grader grade --jobs 2` (sandboxed), written into `folder` before it starts."""
    grade = [sys.executable, "-m", "grader", "grade", "second_order", str(submissions)]
    shell = f'echo $$ > {folder / "cgroup.procs"} && exec "$@"'
    return subprocess.Popen(
        ["/bin/sh", "-c", shell, "sh", *grade, "--out", str(out), "--jobs", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def recorded(out: Path) -> dict[str, str]:
    """id -> graded_at of every submission the gradebook holds (after its integrity check)."""
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return dict(db.execute("SELECT id, graded_at FROM submissions").fetchall())


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda n: n.name)
def test_a_signal_ends_the_batch_and_a_rerun_finishes_it(batch_group, tmp_path, number):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(CORRECT, submissions / "a_correct.py")
    (submissions / "b_sleeps.py").write_text(CORRECT.read_text() + SLEEPS)
    shutil.copy(ZEROED, submissions / "c_partly_wrong.py")
    out = tmp_path / "out"
    batch = start(batch_group, submissions, out)
    deadline = time.monotonic() + 600
    while not (out / "a_correct" / "results.json").exists() and batch.poll() is None:
        assert time.monotonic() < deadline, "nothing was recorded in time"
        time.sleep(0.2)
    assert batch.poll() is None, batch.communicate()[0][-2000:]
    assert len(processes_in(batch_group)) > 5  # the batch, its sandboxes, the sleeper's question
    batch.send_signal(number)
    stopped = time.monotonic()
    output, _ = batch.communicate(timeout=60)
    while processes_in(batch_group) and time.monotonic() - stopped < FEW_SECONDS:
        time.sleep(0.1)
    assert processes_in(batch_group) == [], f"left running {time.monotonic() - stopped:.1f} s after"
    assert time.monotonic() - stopped < FEW_SECONDS
    assert batch.returncode == 130 and "interrupted" in output, output[-2000:]
    kept = recorded(out)
    assert "a_correct" in kept and "b_sleeps" not in kept
    assert all((out / name / "results.json").is_file() for name in kept)
    (submissions / "b_sleeps.py").write_text(CORRECT.read_text())
    rerun = start(batch_group, submissions, out)
    output, _ = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, output[-2000:]
    assert f"{len(kept)} submission(s) unchanged since they were graded: kept" in output
    after = recorded(out)
    assert set(after) == {"a_correct", "b_sleeps", "c_partly_wrong"}
    assert all(after[name] == graded_at for name, graded_at in kept.items()), "regraded"
