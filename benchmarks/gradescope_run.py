"""Time and peak memory of run_autograder per bundled assignment, as Gradescope runs it.

For each assignment: build its zip, unpack it into a Gradescope-like root, run setup.sh once
(reusing this environment's packages), then run_autograder on the reference solution at
0.5 CPU and 768 MB with Docker's capabilities, and once more `import torch` alone in the same
kind of group, for the cold-start comparison. With `--rounds N` both are run N times, one
after the other, and the medians are compared (every submission on Gradescope is a cold start:
the target is within 1 s of `import torch`). Needs root.

    .venv/bin/python benchmarks/gradescope_run.py [NAME ...] [--cpus 0.5] [--memory 768] [--rounds N]

Run with another installation's Python (from outside the checkout, so that its `grader` is
imported) to time that grader's zip alike.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from grader.autograder.bundle import build_zip
from grader.autograder.settings import AutograderSettings
from grader.autograder.trial import gradescope_metadata, run_setup, run_submission, trial_root, unpack
from grader.autograder.trial_group import TrialGroup
from grader.course.assignment import Assignment, find_assignment, find_reference


def import_torch_seconds(python: Path, cpus: float, memory_mib: int) -> float:
    """Wall seconds of `import torch` in a fresh interpreter in a group like the container's."""
    group = TrialGroup(f"gradescope-bench-{time.monotonic_ns()}", cpus, memory_mib)
    try:
        joins = " ".join(f'echo $$ > "{procs}" &&' for procs in group.procs_files())
        started = time.monotonic()
        subprocess.run(["sh", "-c", f'{joins} exec "$0" -I -c "import torch"', str(python)], check=True)
        return time.monotonic() - started
    finally:
        group.remove()


def measure(assignment: Assignment, cpus: float, memory_mib: int, rounds: int = 1) -> str:
    reference = find_reference(assignment)
    with trial_root() as layout:
        zip_path = layout.root.parent / f"{assignment.name}.zip"
        zip_path.write_bytes(build_zip(assignment, reference, AutograderSettings(assignment.name)))
        unpack(zip_path, layout)
        started = time.monotonic()
        run_setup(layout, reuse=sysconfig.get_paths()["purelib"])
        setup = time.monotonic() - started
        runs, torch_alone = [], []
        for _ in range(rounds):
            runs.append(
                run_submission(
                    layout,
                    reference / assignment.file_name,
                    gradescope_metadata(4242),
                    cpus=cpus,
                    memory_mib=memory_mib,
                )
            )
            torch_alone.append(import_torch_seconds(layout.python, cpus, memory_mib))
    run = runs[-1]
    if rounds > 1:
        walls, torches = [r.seconds for r in runs], torch_alone
        print(
            f"{assignment.name}: run_autograder "
            + ", ".join(f"{w:.2f}" for w in walls)
            + " s; import torch "
            + ", ".join(f"{t:.2f}" for t in torches)
            + " s"
        )
        print(
            f"  medians: run_autograder {statistics.median(walls):.2f} s, import torch "
            f"{statistics.median(torches):.2f} s: "
            f"+{statistics.median(walls) - statistics.median(torches):.2f} s (target +1 s)"
        )
    cpu = f"{run.cpu_seconds:.1f}" if run.cpu_seconds is not None else "?"
    peak = f"{run.peak_mib:.0f}" if run.peak_mib is not None else "?"
    worker_peak = next((line for line in run.stdout.splitlines() if line.startswith("graded ")), "")
    return (
        f"{assignment.name}: run_autograder {run.seconds:.1f} s wall, {cpu} CPU s, peak {peak} MiB "
        f"(everything in the container), score {run.document.get('score')}; import torch alone "
        f"{statistics.median(torch_alone):.1f} s; setup.sh {setup:.1f} s (packages reused)\n  {worker_peak}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", default=["second_order", "maml"])
    parser.add_argument("--cpus", type=float, default=0.5)
    parser.add_argument("--memory", type=int, default=768)
    parser.add_argument("--rounds", type=int, default=1, help="run_autograder and import torch N times each")
    options = parser.parse_args()
    print(f"at {options.cpus:g} CPU, {options.memory} MB, Docker's capabilities:")
    for name in options.names:
        print(measure(find_assignment(name), options.cpus, options.memory, options.rounds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
