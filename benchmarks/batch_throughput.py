"""Grade one batch three ways and print the figures: the grader, the usual course script, the floor.

    .venv/bin/python benchmarks/batch_throughput.py [N] [--assignment second_order]

N correct and N wrong submissions (from tests/submissions) are graded:
  (a) `grader grade ASSIGNMENT batch --jobs 2` (sandboxed when this machine can), in a
      subprocess; then the same command again into a fresh folder, its process tree's peak
      memory sampled. Sampling reads /proc/PID/smaps_rollup, about 5 ms of kernel time per
      torch process, ten times a second: on 2 cores that slows the run it watches by about
      15%, so the timed run is never the sampled one;
  (b) a fresh `python -m pytest` process per submission running the same public and hidden
      tests with the student's module imported into it and the reference beside it, as most
      course scripts do (benchmarks/naive_fixtures.py);
  (c) the floor: the time spent inside student and reference code alone. The same tests
      run in this process with the student's module imported here (no worker, no sandbox);
      only the time inside the student's functions and the reference counts.
It prints submissions per minute, seconds per submission, the overhead beyond the floor
(in CPU seconds, so parallel jobs hide nothing: counted in a control group of each command's
own, see benchmarks/cpu_account.py) and the peak memory, both as resident memory summed over
the process tree (shared pages counted once per process) and as proportional set size
(shared pages divided among the processes sharing them: the memory really used). Then (a)
again on 2 of the submissions: what a batch costs before its first submission is graded
(start-up), apart from what each further submission costs.
The wall times and the floor are times, not CPU seconds: on a machine others are using they
swell (the fresh pytest's default thread per core most of all), so compare runs made alike.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.cpu_account import CpuAccount  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "second_order": ("correct_compact", "zeroed_gradients"),
    "maml": ("correct_loop_style", "sum_instead_of_mean"),
}


def make_batch(assignment: str, count: int, folder: Path) -> list[Path]:
    paths = []
    for index in range(count):
        for kind in CASES[assignment]:
            path = folder / f"{kind}_{index:03d}.py"
            shutil.copy(ROOT / "tests" / "submissions" / assignment / f"{kind}.py", path)
            paths.append(path)
    return paths


class TreeMemory:
    """Samples the memory of a process and all its descendants: RSS and PSS, summed."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_rss, self.peak_pss, self._stop = pid, 0, 0, False
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop:
            rss, pss = self._tree_memory()
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            time.sleep(0.1)

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += children.get(pid, [])
        return found

    def _tree_memory(self) -> tuple[int, int]:
        rss = pss = 0
        for pid in self._tree():
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
            except (OSError, ValueError, IndexError):
                continue
        return rss, pss

    def stop(self) -> tuple[int, int]:
        self._stop = True
        self._thread.join()
        return self.peak_rss, self.peak_pss


@dataclass
class Measured:
    wall: float
    cpu: float = 0.0
    peak_rss: int = 0
    peak_pss: int = 0
    inside_code: float = 0.0  # the grader's own record: inside student and reference code


def run_grader(assignment: str, batch: Path, out: Path, sandbox: bool) -> Measured:
    """Time `grader grade --jobs 2` on the batch, then run it again to sample its memory."""
    measured = _grade_batch(assignment, batch, out, sandbox, sample_memory=False)
    sampled = _grade_batch(
        assignment, batch, out.with_name(out.name + "-memory"), sandbox, sample_memory=True
    )
    measured.peak_rss, measured.peak_pss = sampled.peak_rss, sampled.peak_pss
    return measured


def _grade_batch(assignment: str, batch: Path, out: Path, sandbox: bool, *, sample_memory: bool) -> Measured:
    command = [
        sys.executable,
        "-m",
        "grader",
        "grade",
        assignment,
        str(batch),
        "--out",
        str(out),
        "--jobs",
        "2",
        *([] if sandbox else ["--no-sandbox"]),
    ]
    with CpuAccount() as account:
        started = time.perf_counter()
        process = account.popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
        memory = TreeMemory(process.pid) if sample_memory else None
        process.wait()
        wall = time.perf_counter() - started
        rss, pss = memory.stop() if memory is not None else (0, 0)
        cpu = account.seconds()
    if process.returncode != 0:
        raise SystemExit(f"grader grade failed with exit code {process.returncode}")
    return Measured(wall, cpu, rss, pss, inside_code=time_inside_code(out))


def time_inside_code(out: Path) -> float:
    """What the gradebook says the run spent inside student code (timed in the worker, each
    submission in fresh processes) and inside the reference (timed in the grading process)."""
    import json
    import sqlite3

    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = [json.loads(row[0]) for row in db.execute("SELECT result_json FROM submissions")]
    return sum(r.get("student_seconds", 0.0) + r.get("reference_seconds", 0.0) for r in rows)


def run_fresh_pytest(assignment: str, paths: list[Path]) -> Measured:
    """The assignment's own public and hidden tests in a fresh `python -m pytest` per
    submission, the student's module imported into the test process (benchmarks/naive_fixtures.py)."""
    folder = ROOT / "assignments" / assignment
    reference = ROOT / "reference" / assignment
    account = CpuAccount()
    started = time.perf_counter()
    for path in paths:
        env = {**os.environ, "STUDENT": str(path), "ASSIGNMENT": str(folder), "REFERENCE": str(reference)}
        run = account.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "benchmarks.naive_fixtures",
                "-c",
                os.devnull,
                "--rootdir",
                str(folder),
                "--import-mode=importlib",
                str(folder / "tests"),
                str(reference / "tests"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output = run.stdout.decode(errors="replace")
        # 1: some tests failed, as wrong submissions do; but a test that errors before it runs
        # (a fixture the baseline lacks) would make the baseline look fast
        if run.returncode not in (0, 1) or " error" in output.splitlines()[-1]:
            raise SystemExit(f"the baseline could not run on {path}:\n{output[-2000:]}")
    wall, cpu = time.perf_counter() - started, account.seconds()
    account.close()
    return Measured(wall, cpu)


def run_floor(assignment_name: str, paths: list[Path]) -> float:
    """Time inside student and reference code alone, on exactly the grader's tests and inputs."""
    import torch

    from benchmarks.direct import DirectPool
    from grader.course.assignment import find_assignment
    from grader.grading import GRADE, Grader, GradingOptions
    from grader.submission_run import SubmissionRun

    torch.set_num_threads(1)  # as in the worker and in each of the grader's --jobs processes
    assignment = find_assignment(str(ROOT / "assignments" / assignment_name))
    grader = Grader(
        assignment,
        GradingOptions(mode=GRADE, run_slow=True, reference_dir=ROOT / "reference" / assignment_name),
    )
    pools: list[DirectPool] = []

    def direct_pool(path: Path) -> DirectPool:
        pools.append(DirectPool(path, assignment.module_name, assignment.probes_path))
        return pools[-1]

    try:
        for path in paths:
            run = SubmissionRun(path.stem, make_pool=lambda path=path: direct_pool(path))
            grader.session().grade(run)
            assert run.tests and all(t.status != "grader error" for t in run.tests), path
        assert grader.live_reference is not None
        return grader.live_reference.seconds + sum(pool.seconds for pool in pools)
    finally:
        grader.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=10, help="N of each kind")
    parser.add_argument("--assignment", default="second_order", choices=sorted(CASES))
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sandbox = os.geteuid() == 0 and shutil.which("bwrap") is not None
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "batch").mkdir()
        paths = make_batch(options.assignment, options.count, folder / "batch")
        n = len(paths)
        grader = run_grader(options.assignment, folder / "batch", folder / "out", sandbox)
        (folder / "pair").mkdir()
        for path in paths[:2]:  # one of each kind: what a batch costs before its steady state
            shutil.copy(path, folder / "pair" / path.name)
        start_up = _grade_batch(
            options.assignment, folder / "pair", folder / "out-pair", sandbox, sample_memory=False
        )
        fresh = run_fresh_pytest(options.assignment, paths)
        floor = run_floor(options.assignment, paths)
    print(
        f"{options.assignment}: {n} submissions ({options.count} correct, {options.count} wrong), "
        f"{os.cpu_count()} cores"
    )
    for label, measured in (
        (f"(a) grader grade --jobs 2{' (sandbox)' if sandbox else ''}", grader),
        ("(b) fresh python -m pytest per submission, same tests", fresh),
    ):
        print(
            f"  {label:46s} {measured.wall:7.1f} s wall  {measured.wall / n:6.3f} s/submission  "
            f"{n / measured.wall * 60:7.1f} submissions/min  ({measured.cpu / n:.3f} CPU s/submission)"
        )
    print(
        f"  {'(c) floor: inside student and reference code':46s} {floor:7.1f} s       "
        f"{floor / n:6.3f} s/submission (one warm process)"
    )
    print(
        f"  {'    the same, as timed inside run (a)':46s} {grader.inside_code:7.1f} s       "
        f"{grader.inside_code / n:6.3f} s/submission (student code in fresh processes)"
    )
    print(f"  throughput, grader / fresh pytest: {fresh.wall / grader.wall:.2f}x")
    print(
        f"  grader overhead beyond the floor: {(grader.cpu - floor) / n:.3f} CPU s/submission; "
        f"beyond the time inside code in run (a): {(grader.cpu - grader.inside_code) / n:.3f} "
        f"CPU s/submission"
    )
    print(f"  1,000 submissions at this rate: {1000 * grader.wall / n / 60:.1f} min")
    steady = n - 2
    print(
        f"  the same batch of 2 (start-up: fork server, 2 zygotes, 2 pytest sessions, the "
        f"reference): {start_up.wall:.1f} s wall, {start_up.cpu:.2f} CPU s; each further "
        f"submission: {(grader.wall - start_up.wall) / steady:.3f} s wall, overhead beyond "
        f"the time inside code {((grader.cpu - grader.inside_code) - (start_up.cpu - start_up.inside_code)) / steady:.3f} CPU s; "
        f"1,000 submissions: {(start_up.wall + 998 * (grader.wall - start_up.wall) / steady) / 60:.1f} min"
    )
    with CpuAccount() as account:
        print(f"  CPU counted by {account.source}")
    print(
        f"  peak memory of grader grade --jobs 2 (a second run, sampled): "
        f"{grader.peak_pss / 2**30:.2f} GiB PSS "
        f"(process tree RSS, shared pages counted per process: {grader.peak_rss / 2**30:.2f} GiB)"
    )


if __name__ == "__main__":
    main()
