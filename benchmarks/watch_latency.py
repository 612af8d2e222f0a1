"""`grader check --watch`: from a save to the report on screen, beside a cold check.

    .venv/bin/python benchmarks/watch_latency.py [ROUNDS] [--worker fork|portable] [--pause S]

In a student's folder (a release of second_order with a correct answer in it) it starts
`grader check --watch` as a student would, writes the file, and times each save until the
command has printed the report (its last line, "Watching for saves"), for:

- one question: `--watch --question hvp`, each save changing hvp's body;
- all of second_order's public tests: `--watch`, each save changing hvp's body (hvp is then
  checked first and shown at once: the first result; then every test: the full report);
- all of them after a save that changes code every question runs (a top-level constant).

Between a report and the next save it waits `--pause` seconds (1 by default), as a student
reading the report would; the portable worker starts its next question's interpreter then.

The same run times, each in a fresh process, `python -c "import torch"` and a cold
`grader check second_order.py`, and prints every figure's median with its ratio to
`import torch`, and the load average (on a shared machine the wall times vary with it).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GRADER = str(Path(PYTHON).parent / "grader")
CORRECT = (ROOT / "tests" / "submissions" / "second_order" / "correct_compact.py").read_text()
HVP_BODY = "    return grad(g, x, grad_outputs=v)[0]\n"
DONE = "Watching for saves"
EARLY = "Still checking"
SUMMARY = re.compile(r"Public tests: ([\d.]+)/([\d.]+) points")
FAILING: dict[str, str] = {}
"""What reported failing tests (its times are not those of a correct answer's check), with
the first such report."""
TARGETS = {"one question": 0.3, "all public tests": 1.0}


class WatchedCommand:
    """`grader check --watch` in a student's folder; each of its reports, with the time its
    last line arrived."""

    def __init__(self, folder: Path, env: dict[str, str], *arguments: str) -> None:
        self.reports: queue.Queue[tuple[float, bool]] = queue.Queue()
        self.arguments = arguments
        self.process = subprocess.Popen(
            [GRADER, "check", "second_order.py", "--watch", *arguments],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        early, failing, lines = False, False, []
        for line in self.process.stdout:
            lines.append(line)
            early = early or line.startswith(EARLY)
            failing = failing or bool((summary := SUMMARY.match(line)) and summary[1] != summary[2])
            if line.startswith(DONE):
                if failing and not early:
                    FAILING.setdefault(f"grader check --watch {' '.join(self.arguments)}", "".join(lines))
                self.reports.put((time.perf_counter(), early))
                early, failing, lines = False, False, []

    def report(self) -> tuple[float, bool]:
        """When the next report was printed in full, and whether it was an early one."""
        try:
            return self.reports.get(timeout=300)
        except queue.Empty:
            raise SystemExit("grader check --watch printed no report within 300 s") from None

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)  # Ctrl-C
        self.process.wait(timeout=60)


def save(path: Path, text: str) -> float:
    """Write the file as an editor does, and when."""
    started = time.perf_counter()
    path.write_text(text)
    return started


def hvp_variant(round_: int) -> str:
    """The correct answer with hvp's body changed (an equivalent form in each round)."""
    return CORRECT.replace(
        HVP_BODY,
        f"    scale = {1 + round_ % 2}.0 / {1 + round_ % 2}\n" + HVP_BODY.replace("v)", "v * scale)"),
    )


def watch_rounds(
    folder: Path, env: dict[str, str], rounds: int, pause: float, *arguments: str, top_level: bool = False
) -> dict[str, list[float]]:
    """Seconds from each save to the first report and to the final one."""
    student = folder / "second_order.py"
    student.write_text(CORRECT)
    command = WatchedCommand(folder, env, *arguments)
    times: dict[str, list[float]] = {"first": [], "final": []}
    try:
        command.report()  # the first, cold check
        for round_ in range(1, rounds + 1):
            text = f"SCALE = {round_}\n" + CORRECT if top_level else hvp_variant(round_)
            started = save(student, text)
            at, early = command.report()
            times["first"].append(at - started)
            while early:
                at, early = command.report()
            times["final"].append(at - started)
            time.sleep(pause)  # a student reads the report before saving again
    finally:
        command.stop()
    return times


def cold(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    run = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    if run.returncode == 1 and argv[0] == GRADER:  # tests failed: timed all the same, and said so
        FAILING.setdefault(" ".join(Path(a).name for a in argv), run.stdout)
    elif run.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}"
        )
    return time.perf_counter() - started


def release(folder: Path, env: dict[str, str]) -> Path:
    out = folder / "second_order"
    subprocess.run(
        [GRADER, "release", "second_order", "--out", str(out)],
        check=True,
        env=env,
        capture_output=True,
        cwd=ROOT,
    )
    shutil.copy(
        ROOT / "tests" / "submissions" / "second_order" / "correct_compact.py", out / "second_order.py"
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rounds", type=int, nargs="?", default=10)
    parser.add_argument("--worker", choices=("fork", "portable"), default=None)
    parser.add_argument(
        "--pause",
        type=float,
        default=1.0,
        help="seconds between a report and the next save (the portable worker warms its next "
        "question's interpreter meanwhile)",
    )
    options = parser.parse_args()
    # The student's folder holds its release: the checks find the assignment there.
    assignments = os.environ.get("GRADER_ASSIGNMENTS", str(ROOT / "assignments"))
    env = {k: v for k, v in os.environ.items() if k != "GRADER_ASSIGNMENTS"}
    env.update({"NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "COLUMNS": "100"})
    if options.worker:
        env["GRADER_WORKER"] = options.worker
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="watch-latency-") as tmp:
        folder = release(Path(tmp), {**env, "GRADER_ASSIGNMENTS": assignments})
        one = watch_rounds(folder, env, options.rounds, options.pause, "--question", "hvp")
        print(f"one question (hvp): {', '.join(f'{s:.2f}' for s in one['final'])} s", flush=True)
        every = watch_rounds(folder, env, options.rounds, options.pause)
        print(
            f"all public tests, hvp saved: first {', '.join(f'{s:.2f}' for s in every['first'])} s",
            flush=True,
        )
        print(
            f"                             all   {', '.join(f'{s:.2f}' for s in every['final'])} s",
            flush=True,
        )
        shared = watch_rounds(folder, env, options.rounds, options.pause, top_level=True)
        print(
            f"all public tests, top-level saved: {', '.join(f'{s:.2f}' for s in shared['final'])} s",
            flush=True,
        )
        cold([PYTHON, "-c", "import torch"], ROOT, env)  # a first, cold run is not counted
        torch_import, check = [], []
        for _ in range(max(3, options.rounds // 2)):
            torch_import.append(cold([PYTHON, "-c", "import torch"], ROOT, env))
            check.append(cold([GRADER, "check", "second_order.py"], folder, env))
    base = statistics.median(torch_import)
    rows = {
        "python -c 'import torch'": base,
        "grader check (cold)": statistics.median(check),
        "--watch, one question: save to report": statistics.median(one["final"]),
        "--watch, all tests, hvp saved: to first result": statistics.median(every["first"]),
        "--watch, all tests, hvp saved: to every test": statistics.median(every["final"]),
        "--watch, all tests, top-level saved": statistics.median(shared["final"]),
    }
    print(
        f"\nmedians (worker: {options.worker or 'default for this platform'}; {options.pause:g} s between saves; load average "
        f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores):"
    )
    for label, seconds in rows.items():
        print(f"  {label:48s}{seconds:6.2f} s   {seconds / base:5.2f} × import torch")
    print(
        f"  targets: one question < {TARGETS['one question']} s, all public tests < {TARGETS['all public tests']} s"
    )
    for what, report in sorted(FAILING.items()):
        print(f"  note: {what} reported failing tests on a correct answer, first:\n{report}")


if __name__ == "__main__":
    main()
