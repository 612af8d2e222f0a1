"""`grader check` next to `import torch`, measured side by side in one run.

    .venv/bin/python benchmarks/check_time.py [ROUNDS] [--worker fork|portable]
        [--baseline GRADER --baseline-course DIR]

Each round times, in this order and each in a fresh process: `python -c "import torch"`,
`benchmarks/learning_compute.py` (import torch, then what maml's public learning test computes,
in plain Python), `grader check maml.py` on a correct maml submission, `grader check
second_order.py` on a correct second_order submission (each in a student's folder, a copy of
the assignment's release, no reference). It prints every round and the medians, and each
check's overhead beyond its baseline (the targets: second_order within +0.5 s of `import
torch`, maml within +0.5 s of `import torch` plus its public learning test's own compute, the
second row), with the CPU seconds each used (its worker's included):
on a machine others are using, the wall times vary from run to run far more than the CPU
times do. `--baseline GRADER` times another installation's `grader` script (an earlier
version, say) in the same rounds, so that before and after meet the same load.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"
PYTHON = sys.executable
GRADER = str(Path(PYTHON).parent / "grader")
CHECKS = {
    "maml": SUBMISSIONS / "maml" / "correct_loop_style.py",
    "second_order": SUBMISSIONS / "second_order" / "correct_compact.py",
}
LEARNING = "import torch + learning test"
BASELINES = {"maml": LEARNING, "second_order": "import torch"}
"""What each check is measured against: maml's public tests include its learning test."""


CPU: dict[str, list[float]] = {}
"""CPU seconds of each timed command and everything it started (all are reaped by then)."""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, env: dict[str, str], label: str = "") -> float:
    started, cpu = time.perf_counter(), children_cpu()
    run = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    CPU.setdefault(label, []).append(children_cpu() - cpu)
    if argv[-1].endswith(".py") and run.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed ({run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}"
        )
    return seconds


def releases(folder: Path, env: dict[str, str], grader: str = GRADER) -> dict[str, Path]:
    """A student's folder per assignment: its release (as `grader` builds it, since a release's
    tests are written for its grader's API), with a correct answer in it."""
    made = {}
    for name, submission in CHECKS.items():
        out = folder / name
        subprocess.run(
            [grader, "release", name, "--out", str(out)], check=True, env=env, capture_output=True, cwd=ROOT
        )
        shutil.copy(submission, out / f"{name}.py")
        made[name] = out
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rounds", type=int, nargs="?", default=5)
    parser.add_argument("--worker", choices=("fork", "portable"), default=None)
    parser.add_argument("--baseline", metavar="GRADER", help="another `grader` script to time alike")
    parser.add_argument(
        "--baseline-course",
        type=Path,
        default=ROOT,
        metavar="DIR",
        help="the course folder the baseline's releases are built from (its own checkout's)",
    )
    options = parser.parse_args()
    # A student's machine caches the grader's bytecode after the first check: so does this run.
    env = {k: v for k, v in os.environ.items() if k not in ("GRADER_ASSIGNMENTS", "PYTHONDONTWRITEBYTECODE")}
    env["NO_COLOR"] = "1"
    if options.worker:
        env["GRADER_WORKER"] = options.worker
    with tempfile.TemporaryDirectory(prefix="check-time-") as tmp:
        graders = {"": GRADER, **({" (baseline)": options.baseline} if options.baseline else {})}
        courses = {"": ROOT, " (baseline)": options.baseline_course}
        folders = {
            label: releases(
                Path(tmp) / f"release{index}",
                {**env, "GRADER_ASSIGNMENTS": str(courses[label] / "assignments")},
                script,
            )
            for index, (label, script) in enumerate(graders.items())
        }
        checks = [(name + label, name, script) for name in CHECKS for label, script in graders.items()]
        rows: dict[str, list[float]] = {"import torch": [], LEARNING: [], **{row: [] for row, _, _ in checks}}
        learning = [PYTHON, str(ROOT / "benchmarks" / "learning_compute.py"), str(CHECKS["maml"])]
        timed([PYTHON, "-c", "import torch"], ROOT, env)  # a first, cold run is not counted
        for row, name, script in checks:  # nor a first check (it writes the bytecode caches)
            timed([script, "check", f"{name}.py"], folders[row.removeprefix(name)][name], env)
        for round_ in range(1, options.rounds + 1):
            rows["import torch"].append(timed([PYTHON, "-c", "import torch"], ROOT, env, "import torch"))
            rows[LEARNING].append(timed(learning, ROOT, env, LEARNING))
            for row, name, script in checks:
                folder = folders[row.removeprefix(name)][name]
                rows[row].append(timed([script, "check", f"{name}.py"], folder, env, row))
            print(f"round {round_}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in rows.items()), flush=True)
    medians = {row: statistics.median(times) for row, times in rows.items()}
    print(
        f"\nmedians over {options.rounds} rounds (worker: {options.worker or 'default for this platform'}):"
    )
    for row in ("import torch", LEARNING):
        print(f"  {row:41s}{medians[row]:6.2f} s   ({statistics.median(CPU[row]):.2f} CPU s)")
    for row, name, _ in checks:
        median, base = medians[row], medians[BASELINES[name]]
        print(
            f"  grader check {row.replace(name, name + '.py'):28s}{median:6.2f} s   "
            f"= {median / base:.2f}x {BASELINES[name]}, + {median - base:.2f} s (target + 0.5 s)   "
            f"({statistics.median(CPU[row]):.2f} CPU s, its worker's included)"
        )


if __name__ == "__main__":
    main()
