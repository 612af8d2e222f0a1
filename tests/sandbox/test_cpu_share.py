"""A submission's time is its own CPU time, within its own share of the host.

Each sandboxed submission's control group has a CPU quota (one CPU) and its own counter, and
every time limit is charged to that counter, with a wall-clock backstop for code that sleeps;
without a group, to its worker's process tree as /proc reports it. The proof that counts: a
correct submission graded beside one that starts dozens of busy loops in sessions of their own
keeps the very score and statuses it gets alone. What the controller costs, and the same
batch idle, beside a hog and under half a CPU: benchmarks/cpu_fairness.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.sandbox import cgroups
from grader.sandbox.cgroups import PREFIX, open_cgroups
from grader.sandbox.process_tree import ProcessTree
from grader.sandbox.time_limit import WALL_FACTOR, TimeLimit
from tests.conftest import ROOT, SANDBOX_GROUP, SUBMISSIONS
from tests.course_copy import CORRECT, copy_course, hand_in

pytestmark = SANDBOX_GROUP

BUSY = "import time\nstarted = time.monotonic()\nwhile time.monotonic() - started < {seconds}: pass\n"
ATTACK = SUBMISSIONS / "cpu" / "busy_loops_beside.py"


class Meter:
    """A CPU counter the test sets by hand."""

    cpus = 1.0

    def __init__(self) -> None:
        self.value = 0.0

    def cpu_seconds(self, *, search: bool = False) -> float | None:
        return self.value


def test_a_time_limit_says_which_limit_it_reached():
    meter = Meter()
    spent = TimeLimit(1.0, meter)
    assert spent.reached() is None
    meter.value = 1.01
    assert spent.reached() == "timed out after 1 s of CPU time"
    sleeping = TimeLimit(0.02, Meter())
    assert sleeping.wall_seconds == pytest.approx(0.02 * WALL_FACTOR)
    time.sleep(0.02)
    assert sleeping.reached() is None, "a sleeper gets the backstop, not its CPU limit"
    time.sleep(0.02 * WALL_FACTOR)
    assert (sleeping.reached() or "").startswith(f"timed out after {0.02 * WALL_FACTOR:g} s of wall-clock")
    unmeasured = TimeLimit(0.02, None)  # no /proc: wall clock alone, as the limit says
    time.sleep(0.03)
    assert unmeasured.reached() == "timed out after 0.02 s"


def test_a_group_gets_one_cpu_and_counts_only_its_own_time():
    made, reason = open_cgroups(256, 16, sandboxed=False)
    if made is None or made.cpus is None:
        if made is not None:
            made.close()
        pytest.skip(reason or made.description)
    try:
        group = made.group()
        join = "".join(f"open({path!r}, 'w').write('0')\n" for path in group.join_request()["join"])
        loops = "import os\nfor _ in range(3):\n    os.fork()\n" + BUSY.format(seconds=1.5)
        outside = subprocess.Popen([sys.executable, "-c", BUSY.format(seconds=1.5)])
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", join + loops], check=True, timeout=60)
        wall = time.monotonic() - started
        outside.wait(timeout=60)
        used = group.cpu_seconds()
        assert used is not None and 0.1 < used <= wall * 1.1 + 0.2, (used, wall)  # eight loops, one CPU
        group.remove()
    finally:
        made.close()


def test_v2_groups_get_cpu_max_and_read_cpu_stat(tmp_path, monkeypatch):
    """A stand-in v2 tree (plain files) whose cpu controller is already on for children."""
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(cgroups, "_mounts", lambda: {"unified": Path("/not-used")})
    monkeypatch.setattr(cgroups, "_own_groups", lambda: {"unified": "/batch.scope"})
    home = tmp_path / "unified" / "batch.scope"
    parent = home / f"{PREFIX}{os.getpid()}-{cgroups._start_time(os.getpid())}"
    parent.mkdir(parents=True)
    (home / "cgroup.controllers").write_text("cpu memory pids\n")
    for folder in (home, parent):
        (folder / "cgroup.subtree_control").write_text("cpu memory pids\n")
    made, reason = open_cgroups(512, 32, root=tmp_path, cpus=0.5)
    assert made is not None and made.cpus == 0.5, reason
    assert "at most 0.5 CPU; time limits count its own CPU time" in made.description
    group = made.group()
    assert (parent / "s1" / "cpu.max").read_text() == "50000 100000"
    (parent / "s1" / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    assert group.cpu_seconds() == 2.5


def test_without_a_group_the_process_tree_is_counted():
    """A child's busy loop and its own child's, as /proc reports them to the grader."""
    code = "import os\nos.fork()\n" + BUSY.format(seconds=0.6) + "import time; time.sleep(2)\n"
    process = subprocess.Popen([sys.executable, "-c", code])
    try:
        tree = ProcessTree(process.pid)
        start = tree.cpu_seconds(search=True)
        time.sleep(1.2)
        now = tree.cpu_seconds(search=True)
        assert start is not None and now is not None and now - start > 0.1
    finally:
        process.kill()
        process.wait()


def grade(assignment: Path, submissions: Path, out: Path, jobs: int) -> tuple[str, dict[str, dict]]:
    """`grader grade` (sandboxed) as an instructor runs it: its first line, and each
    submission's results.json."""
    command = [sys.executable, "-m", "grader", "grade", str(assignment), str(submissions)]
    run = subprocess.run(
        [*command, "--out", str(out), "--jobs", str(jobs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    results = {p.parent.name: json.loads(p.read_text()) for p in out.glob("*/results.json")}
    return run.stdout.splitlines()[0], results


def outcomes(results: dict) -> list[tuple[str, float, str]]:
    return sorted((t["name"], t["score"], t["status"]) for t in results["tests"])


@pytest.mark.slow
def test_busy_loops_beside_a_correct_submission_cost_it_nothing(tmp_path):
    """The attack graded with --jobs 2 beside a correct submission: the neighbour's every
    test scores and ends as it does graded alone (a 2 s call limit, so that CPU taken from it
    would show)."""
    if os.geteuid() != 0:
        pytest.skip("the sandbox needs root")
    assignment = copy_course(tmp_path / "course")
    config = assignment / "assignment.toml"
    config.write_text(config.read_text().replace("call_seconds = 10", "call_seconds = 2"))
    alone = hand_in(tmp_path / "alone", {"neighbour": CORRECT})
    beside = hand_in(tmp_path / "beside", {"attacker": ATTACK, "neighbour": CORRECT})
    first_line, by_itself = grade(assignment, alone, tmp_path / "out-alone", jobs=1)
    if "at most 1 CPU" not in first_line:
        pytest.skip(first_line)
    _, together = grade(assignment, beside, tmp_path / "out-beside", jobs=2)
    assert by_itself["neighbour"]["score"] == 100
    assert outcomes(together["neighbour"]) == outcomes(by_itself["neighbour"])
    assert together["attacker"]["score"] == 0


def test_on_half_a_cpu_each_group_gets_the_half():
    """Inside a group with half a CPU's quota (a Gradescope container), a submission's group
    may not be given more: the kernel would refuse it, and the batch with it."""
    mounts, own = cgroups._mounts(), cgroups._own_groups()
    if os.geteuid() != 0 or "cpu" not in mounts or "cpu" not in own:
        pytest.skip("needs root and a v1 cpu hierarchy")
    top = mounts["cpu"] / own["cpu"].lstrip("/")
    half = top / f"test-half-cpu-{os.getpid()}"
    half.mkdir()
    try:
        (half / "cpu.cfs_quota_us").write_text("50000")
        code = "from grader.sandbox.cgroups import open_cgroups\nmade, why = open_cgroups(256, 16, sandboxed=False)\n"
        code += "group = made.group()\nprint(made.description)\nprint(group.folders['cpu'].joinpath('cpu.cfs_quota_us').read_text())\n"
        code += "group.remove()\nmade.close()\n"
        shell = f'echo $$ > {half / "cgroup.procs"} && exec "$@"'
        run = subprocess.run(
            ["/bin/sh", "-c", shell, "sh", sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr[-1000:]
        assert "at most 0.5 CPU" in run.stdout and run.stdout.split()[-1] == "50000"
    finally:
        cgroups._kill_and_remove(half, 5.0)
