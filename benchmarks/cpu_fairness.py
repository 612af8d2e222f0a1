"""The same batch graded idle, beside a CPU hog and on half a CPU: the scores must not move.

Run from the project root, as root (the sandbox, and a writable cpu hierarchy for the quota):

    .venv/bin/python benchmarks/cpu_fairness.py [PER_KIND]

Grades PER_KIND (default 10) correct and PER_KIND partly wrong second_order submissions with
`grader grade` three times: on an idle machine (--jobs 1); beside a CPU hog, a busy loop per
core in sessions of their own (--jobs 2); and inside a control group with half a CPU's quota,
as a Gradescope container has (--jobs 1). Prints each run's time, every test whose score or
status differs from the idle run (there must be none), and what the CPU controller costs per
submission: making and removing its group with and without the cpu hierarchies, and one
reading of its CPU counter (a call reads it once, and again only while it runs long).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox import cgroups  # noqa: E402

SUBMISSIONS = ROOT / "tests" / "submissions" / "second_order"
CORRECT = sorted(SUBMISSIONS.glob("correct_*.py"))
PARTLY_WRONG = [
    SUBMISSIONS / f"{name}.py"
    for name in (
        "missing_create_graph",
        "zeroed_gradients",
        "grad_accumulation",
        "penalty_sum_instead_of_mean",
        "second_partials_no_create_graph",
        "changes_inputs",
        "hvp_forms_hessian",
        "clone_keeps_callers_graph",
        "penalty_detached_after_create_graph",
        "forbidden_helper",
    )
]
Outcomes = dict[str, list[tuple[str, float, str]]]


def batch(folder: Path, per_kind: int) -> Path:
    """PER_KIND of each kind, cycling through the files (each id draws its own inputs)."""
    folder.mkdir()
    for kind, sources in (("correct", CORRECT), ("wrong", PARTLY_WRONG)):
        for index in range(per_kind):
            source = sources[index % len(sources)]
            shutil.copy(source, folder / f"{kind}_{index:02d}_{source.stem}.py")
    return folder


def grade(submissions: Path, out: Path, jobs: int, group: Path | None = None) -> tuple[Outcomes, float]:
    """`grader grade` (sandboxed), started inside `group` if given; every test's outcome."""
    command = [sys.executable, "-m", "grader", "grade", "second_order", str(submissions)]
    command += ["--out", str(out), "--jobs", str(jobs)]
    if group is not None:
        command = ["/bin/sh", "-c", f'echo $$ > {group / "cgroup.procs"} && exec "$@"', "sh", *command]
    started = time.perf_counter()
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"cpu_fairness: grader grade failed: {run.stderr[-2000:]}")
    print(f"  {run.stdout.splitlines()[0][:120]}")
    outcomes = {
        path.parent.name: sorted(
            (t["name"], t["score"], t["status"]) for t in json.loads(path.read_text())["tests"]
        )
        for path in out.glob("*/results.json")
    }
    return outcomes, seconds


@contextmanager
def hog() -> Iterator[None]:
    """A busy loop per core, each in a session of its own."""
    loops = [
        subprocess.Popen(["/bin/sh", "-c", "while :; do :; done"], start_new_session=True)
        for _ in range(os.cpu_count() or 1)
    ]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


@contextmanager
def half_a_cpu() -> Iterator[Path]:
    """A v1 cpu group (or a v2 one) with a quota of half a CPU, removed afterwards."""
    mounts, own = cgroups._mounts(), cgroups._own_groups()
    name = "cpu" if "cpu" in mounts else "unified"
    if name not in mounts or name not in own:
        sys.exit("cpu_fairness: no cpu hierarchy for the half-CPU quota")
    folder = mounts[name] / own[name].lstrip("/") / f"cpu-fairness-{os.getpid()}"
    folder.mkdir()
    try:
        if name == "cpu":
            (folder / "cpu.cfs_period_us").write_text("100000")
            (folder / "cpu.cfs_quota_us").write_text("50000")
        else:
            (folder / "cpu.max").write_text("50000 100000")
        yield folder
    finally:
        for group in [*sorted(folder.rglob("*"), reverse=True), folder]:
            if group.is_dir():
                cgroups._kill_and_remove(group, 5.0)


def differences(base: Outcomes, other: Outcomes) -> list[str]:
    found = [f"{sid}: missing" for sid in base if sid not in other]
    for sid, tests in base.items():
        for before, after in zip(tests, other.get(sid, tests), strict=False):
            if before != after:
                found.append(f"{sid}: {before} -> {after}")
    return found


def ms_each(action: Callable[[], object], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        action()
    return (time.perf_counter() - started) / rounds * 1e3


def controller_cost(rounds: int = 100) -> None:
    """A group made and removed with the cpu hierarchies and without; one counter reading."""
    made, reason = cgroups.open_cgroups(256, 16, sandboxed=False)
    if made is None:
        print(f"controller cost: {reason}")
        return
    try:
        with_cpu = ms_each(lambda: made.group().remove(), rounds)
        group = made.group()
        reading = ms_each(group.cpu_seconds, rounds * 10) * 1e3
        group.remove()
        saved = dict(made.parents)
        made.parents = {k: v for k, v in saved.items() if k not in cgroups.V1_CPU}
        cpus, made.cpus = made.cpus, None
        without = ms_each(lambda: made.group().remove(), rounds)
        made.parents, made.cpus = saved, cpus
    finally:
        made.close()
    print(
        f"CPU controller per submission: group made and removed in {with_cpu:.2f} ms "
        f"(without cpu/cpuacct {without:.2f} ms: +{with_cpu - without:.2f} ms); "
        f"one reading of its CPU counter {reading:.0f} us"
    )


def main(per_kind: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="cpu-fairness-"))
    try:
        submissions = batch(work / "submissions", per_kind)
        print(f"{2 * per_kind} submissions ({per_kind} correct, {per_kind} partly wrong)")
        print("idle, --jobs 1")
        idle, idle_seconds = grade(submissions, work / "idle", 1)
        print("beside a CPU hog, --jobs 2")
        with hog():
            hogged, hog_seconds = grade(submissions, work / "hog", 2)
        print("half a CPU, --jobs 1")
        with half_a_cpu() as group:
            half, half_seconds = grade(submissions, work / "half", 1, group)
        for name, seconds, outcomes in (
            ("idle", idle_seconds, idle),
            ("beside a hog", hog_seconds, hogged),
            ("half a CPU", half_seconds, half),
        ):
            found = differences(idle, outcomes)
            print(f"{name:>13}: {seconds:6.1f} s, {len(found)} difference(s) from idle")
            for line in found[:20]:
                print(f"    {line}")
        controller_cost()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
