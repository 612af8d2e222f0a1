"""A submission's processes are limited together by a control group of its own.

Needs root and a writable cgroup hierarchy (v1 memory+pids here, v2 where its controllers
are enabled); skipped elsewhere. Scaled to a 2-core, 24 GiB machine: groups of 256 MiB to
1 GiB, children of 100-300 MB.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from grader.commands.grade import grade_batch
from grader.course.assignment import Limits, find_assignment
from grader.errors import GraderError
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.outputs.class_table import BatchStatistics
from grader.sandbox import cgroups
from grader.sandbox.bubblewrap import Sandbox
from grader.sandbox.cgroups import PREFIX, open_cgroups, remove_leftovers
from tests.conftest import REFERENCE, ROOT, SANDBOX_GROUP, SUBMISSIONS, full_marks

pytestmark = SANDBOX_GROUP

MIB = 1024 * 1024
HOARDER = SUBMISSIONS / "cgroup" / "children_share_memory.py"
PARENT_HOARDS = SUBMISSIONS / "cgroup" / "parent_hoards.py"
CORRECT = SUBMISSIONS / "second_order" / "correct_compact.py"
FULL = full_marks("second_order")


def made_or_skip(memory_mib: int = 256, processes: int = 16) -> cgroups.Cgroups:
    made, reason = open_cgroups(memory_mib, processes, sandboxed=False)
    if made is None:
        pytest.skip(reason)
    return made


@pytest.fixture
def made():
    groups = made_or_skip()
    yield groups
    groups.close()
    assert not any(folder.exists() for folder in groups.parents.values())


def sandbox_or_skip() -> Sandbox:
    try:
        return Sandbox.require(find_assignment("second_order"))
    except GraderError as exc:
        if os.environ.get("GRADER_REQUIRE_SANDBOX"):
            raise
        pytest.skip(f"no sandbox here: {exc}")


def homes() -> list[Path]:
    """This process's group in each hierarchy, where grading processes it starts (which
    inherit its groups) make their folders; the memory one first."""
    groups = made_or_skip()
    try:
        return sorted(
            (folder.parent for folder in groups.parents.values()),
            key=lambda home: "memory" not in str(home) and "unified" not in str(home),
        )
    finally:
        groups.close()


def grader_folders() -> set[str]:
    """Names of the grading processes' folders in this process's memory group (the pids
    hierarchy may be shared with other batches on the host; this group is not)."""
    return {entry.name for entry in homes()[0].iterdir() if entry.is_dir() and entry.name.startswith(PREFIX)}


def owner_alive(folder: str) -> bool:
    """Whether the grading process a folder is named after (grader-PID-START) still runs."""
    pid = folder.removeprefix(PREFIX).split("-")[0]
    return pid.isdigit() and Path(f"/proc/{pid}").exists()


def joined(group: cgroups.SubmissionGroup, code: str) -> subprocess.Popen:
    """A Python process that writes itself into `group`, as a submission's first process
    does, then runs `code`."""
    join = "".join(f"open({path!r}, 'w').write('0')\n" for path in group.join_request()["join"])
    return subprocess.Popen([sys.executable, "-c", join + code], stdout=subprocess.PIPE, text=True)


def test_a_group_has_its_limits_before_any_process(made):
    group = made.group()
    if made.version == 1:
        memory = group.folders["memory"]
        assert int((memory / "memory.limit_in_bytes").read_text()) == 256 * MIB
        if (memory / "memory.memsw.limit_in_bytes").exists():  # swap counted with memory
            assert int((memory / "memory.memsw.limit_in_bytes").read_text()) == 256 * MIB
        assert (group.folders["pids"] / "pids.max").read_text().strip() == "16"
    else:
        assert int((group.memory / "memory.max").read_text()) == 256 * MIB
        assert (group.memory / "pids.max").read_text().strip() == "16"
    for folder in group.folders.values():
        assert (folder / "cgroup.procs").read_text() == ""
    assert group.oom_kills() == 0
    group.remove()
    assert not any(folder.exists() for folder in group.folders.values())


def test_processes_count_together_and_only_the_groups_die(made):
    """Three children of 120 MB each stay far under their own limits but exceed 256 MiB
    together: the kernel kills inside the group; a process outside is untouched."""
    outside = subprocess.Popen(["sleep", "120"])
    group = made.group()
    try:
        process = joined(
            group,
            """
import os, time
pids = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = bytearray(120 * 1024 * 1024)
        block[::4096] = b"\\x01" * len(block[::4096])
        time.sleep(60)
        os._exit(0)
    pids.append(pid)
print("forked", flush=True)
time.sleep(60)
""",
        )
        assert process.stdout.readline().strip() == "forked"
        deadline = time.monotonic() + 30
        while group.oom_kills() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert group.oom_kills() >= 1
        assert 200 * MIB < group.peak_bytes() <= 256 * MIB
        inside = [int(pid) for pid in (group.memory / "cgroup.procs").read_text().split()]
        assert process.pid in inside
        group.remove()
        assert process.wait(timeout=10) == -signal.SIGKILL
        assert not any(folder.exists() for folder in group.folders.values())
        assert outside.poll() is None  # nothing outside the group was killed
    finally:
        outside.kill()
        group.remove()


def test_the_number_of_processes_is_limited_for_the_group(made):
    group = made.group()
    try:
        process = joined(
            group,
            """
import os, time
started = 0
for _ in range(40):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
    except OSError:
        break
    started += 1
print(started, flush=True)
""",
        )
        started = int(process.stdout.readline())
        assert started == 15  # 16 processes in the group: itself and 15 children
        process.wait(timeout=10)
    finally:
        group.remove()


def test_folders_of_a_dead_grading_process_are_removed_and_a_live_ones_kept(made):
    home = next(iter(made.parents.values())).parent
    dead = home / f"{PREFIX}999999999-1"  # no such pid
    (dead / "s1").mkdir(parents=True)
    outside = subprocess.Popen(["sleep", "120"])
    stray = subprocess.Popen(["sleep", "120"])
    (dead / "s1" / "cgroup.procs").write_text(str(stray.pid))
    try:
        removed = remove_leftovers(home)
        assert removed == [dead] and not dead.exists()
        assert stray.wait(timeout=10) == -signal.SIGKILL
        assert outside.poll() is None
        assert all(folder.exists() for folder in made.parents.values())  # its owner is alive
    finally:
        outside.kill()
        stray.kill()
        if dead.exists():
            remove_leftovers(home)


def test_without_a_cgroup_grading_goes_on_and_says_so_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    made, reason = open_cgroups(1024, 64)
    assert made is None and "\n" not in reason
    assert reason == "no control group per submission (not root): per-process limits only"
    monkeypatch.undo()
    if os.geteuid() != 0:
        pytest.skip("needs root to reach the hierarchy check")
    read_only = tmp_path / "hierarchy"
    read_only.mkdir()
    made, reason = open_cgroups(1024, 64, root=read_only)  # no such groups in it
    assert made is None and "\n" not in reason
    assert reason.startswith("no control group per submission (") and reason.endswith(
        "): per-process limits only"
    )


def test_a_group_per_submission_is_made_and_removed_again_and_again(made):
    """Fifty submissions' groups, each made with its limits and removed: none is left behind.
    What each costs: benchmarks/cgroup_cost.py."""
    for _ in range(50):
        group = made.group()
        group.remove()
        assert not any(folder.exists() for folder in group.folders.values())
    assert [child for folder in made.parents.values() for child in folder.iterdir() if child.is_dir()] == []


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A batch with a 1 GiB group each: the hoarder (1.8 GB in six children), one whose
    question process is the largest (700 MB beside two children of 300 MB), a correct one."""
    sandbox = sandbox_or_skip()
    before = grader_folders()
    root = tmp_path_factory.mktemp("cgroup")
    batch = root / "submissions"
    batch.mkdir()
    shutil.copy(HOARDER, batch / "a_hoarder.py")
    shutil.copy(PARENT_HOARDS, batch / "b_parent_hoards.py")
    shutil.copy(CORRECT, batch / "c_correct.py")
    outside = subprocess.Popen(["sleep", "300"])
    grader = Grader(
        find_assignment("second_order"),
        GradingOptions(
            mode=GRADE,
            reference_dir=REFERENCE / "second_order",
            sandbox=sandbox,
            limits=Limits(call_seconds=10, import_seconds=20, memory_mib=2048),
            group_memory_mib=1024,
        ),
    )
    if grader.cgroups is None:
        grader.close()
        outside.kill()
        pytest.skip(grader.cgroup_line)
    parents = dict(grader.cgroups.parents)
    try:
        results = grade_batch(
            grader,
            [Submission.at(p) for p in sorted(batch.glob("*.py"))],
            root / "out",
            Console(file=io.StringIO()),
        )
        left_during = [child for folder in parents.values() for child in folder.iterdir() if child.is_dir()]
    finally:
        grader.close()
    outside_alive = outside.poll() is None
    outside.kill()
    return {
        "results": {r.submission_id: r for r in results},
        "out": root / "out",
        "outside_alive": outside_alive,
        "left_during": left_during,
        "parents": parents,
        "before": before,
    }


@pytest.mark.slow
def test_processes_over_the_group_limit_lose_their_question_only(graded):
    hoarder = graded["results"]["a_hoarder"]
    scores = {q.question: q.score for q in hoarder.questions()}
    assert scores == {**FULL, "hessian": 0}
    statuses = {t.status for t in hoarder.tests if t.question == "hessian"}
    assert statuses == {"memory limit"}
    first = next(t for t in hoarder.tests if t.question == "hessian")
    assert "processes together exceeded its memory limit of 1024 MiB" in first.message
    assert graded["results"]["c_correct"].score == sum(FULL.values())
    assert graded["outside_alive"]  # nothing outside the group was killed


@pytest.mark.slow
def test_a_question_process_killed_for_the_group_limit_loses_with_memory_limit(graded):
    parent = graded["results"]["b_parent_hoards"]
    assert {q.question: q.score for q in parent.questions()} == {**FULL, "hvp": 0}
    first = next(t for t in parent.tests if t.question == "hvp")
    assert first.status == "memory limit"
    assert "processes together exceeded its memory limit of 1024 MiB" in first.message


@pytest.mark.slow
def test_peak_memory_is_recorded_and_shown_among_the_largest(graded):
    hoarder, correct = graded["results"]["a_hoarder"], graded["results"]["c_correct"]
    assert 900 < hoarder.peak_memory_mib <= 1024
    assert 0 < correct.peak_memory_mib < hoarder.peak_memory_mib
    with sqlite3.connect(graded["out"] / "gradebook.sqlite") as db:
        stored = db.execute("SELECT result_json FROM submissions WHERE id = 'a_hoarder'")
        assert '"peak_memory_mib": ' + str(hoarder.peak_memory_mib) in stored.fetchone()[0]
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(BatchStatistics(list(graded["results"].values()), list(FULL)))
    line = next(line for line in console.export_text().splitlines() if line.startswith("largest: "))
    assert f"a_hoarder ({hoarder.peak_memory_mib:.0f} MiB)" in line
    assert line.endswith(f"c_correct ({correct.peak_memory_mib:.0f} MiB)")  # the smallest last


@pytest.mark.slow
def test_each_group_is_gone_after_its_submission(graded):
    assert graded["left_during"] == []  # every submission's group, once its grading ended
    assert not any(folder.exists() for folder in graded["parents"].values())
    assert grader_folders() == graded["before"]


@pytest.mark.slow
def test_a_killed_batch_leaves_no_group_after_its_resume(tmp_path):
    sandbox_or_skip()
    before = grader_folders()
    batch = tmp_path / "submissions"
    batch.mkdir()
    for name in ("ann", "ben", "cat"):
        shutil.copy(CORRECT, batch / f"{name}.py")
    command = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        "second_order",
        str(batch),
        "--out",
        str(tmp_path / "out"),
        "--jobs",
        "1",
    ]
    env = {**os.environ, "GRADER_ASSIGNMENTS": str(ROOT / "assignments")}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    memory, *others = homes()
    left: set[str] = set()
    while time.monotonic() < deadline and not left:
        left = {name for name in grader_folders() - before if (memory / name / "s1").is_dir()}
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert left, "no submission's group appeared"
    leftovers = [home / name for home in (memory, *others) for name in left]
    assert all(folder.exists() for folder in leftovers)  # the batch was killed: nobody removed them
    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.splitlines()[0].startswith("control group per submission (cgroup v")
    assert not any(folder.exists() for folder in leftovers)
    # a folder of a grading process still running (another batch, on a shared host) stays
    assert not {name for name in grader_folders() - before if not owner_alive(name)}


def test_v2_is_chosen_where_its_controllers_are_enabled(tmp_path, monkeypatch):
    """A stand-in v2 tree (plain files): the limits it would be given, and where the
    submission's first process writes itself. The kernel's own v2 is not testable here."""
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(cgroups, "_mounts", lambda: {"unified": Path("/not-used")})
    monkeypatch.setattr(cgroups, "_own_groups", lambda: {"unified": "/batch.scope"})
    home = tmp_path / "unified" / "batch.scope"
    parent = home / f"{PREFIX}{os.getpid()}-{cgroups._start_time(os.getpid())}"
    parent.mkdir(parents=True)
    (home / "cgroup.controllers").write_text("cpu memory pids\n")
    for folder in (home, parent):
        (folder / "cgroup.subtree_control").write_text("")
    made, reason = open_cgroups(512, 32, root=tmp_path)
    assert made is not None and made.version == 2, reason
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids"
    group = made.group()
    folder = parent / "s1"
    assert (folder / "memory.max").read_text() == str(512 * MIB)
    assert (folder / "memory.swap.max").read_text() == "0"  # swap counts: none allowed
    assert (folder / "pids.max").read_text() == "32"
    assert group.join_request() == {
        "join": ["/grader-cgroup/unified/s1/cgroup.procs"],
        "hide": ["/grader-cgroup/unified"],
    }
    assert made.bind_arguments() == ["--bind", str(parent), "/grader-cgroup/unified"]
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    (folder / "memory.peak").write_text(f"{300 * MIB}\n")
    assert group.oom_kills() == 1 and group.peak_bytes() == 300 * MIB


def test_v2_without_its_controllers_is_passed_over(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(cgroups, "_mounts", lambda: {"unified": Path("/not-used")})
    monkeypatch.setattr(cgroups, "_own_groups", lambda: {"unified": "/"})
    (tmp_path / "unified").mkdir()
    (tmp_path / "unified" / "cgroup.controllers").write_text("\n")  # all bound to v1
    made, reason = open_cgroups(512, 32, root=tmp_path)
    assert made is None
    assert "v2: memory and pids controllers not enabled" in reason
    assert "v1: no memory hierarchy mounted" in reason
