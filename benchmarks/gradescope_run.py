"""Time and peak memory of run_autograder per bundled assignment, as Gradescope runs it.

For each assignment: build its zip, unpack it into a Gradescope-like root, run setup.sh once
(reusing this environment's packages), then run_autograder on the reference solution at
0.5 CPU and 768 MB with Docker's capabilities, and once more `import torch` alone in the same
kind of group, for the cold-start comparison. Needs root.

    .venv/bin/python benchmarks/gradescope_run.py [NAME ...] [--cpus 0.5] [--memory 768]
"""

from __future__ import annotations

import argparse
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


def measure(assignment: Assignment, cpus: float, memory_mib: int) -> str:
    reference = find_reference(assignment)
    with trial_root() as layout:
        zip_path = layout.root.parent / f"{assignment.name}.zip"
        zip_path.write_bytes(build_zip(assignment, reference, AutograderSettings(assignment.name)))
        unpack(zip_path, layout)
        started = time.monotonic()
        run_setup(layout, reuse=sysconfig.get_paths()["purelib"])
        setup = time.monotonic() - started
        run = run_submission(
            layout,
            reference / assignment.file_name,
            gradescope_metadata(4242),
            cpus=cpus,
            memory_mib=memory_mib,
        )
        torch_alone = import_torch_seconds(layout.python, cpus, memory_mib)
    cpu = f"{run.cpu_seconds:.1f}" if run.cpu_seconds is not None else "?"
    peak = f"{run.peak_mib:.0f}" if run.peak_mib is not None else "?"
    worker_peak = next((line for line in run.stdout.splitlines() if line.startswith("graded ")), "")
    return (
        f"{assignment.name}: run_autograder {run.seconds:.1f} s wall, {cpu} CPU s, peak {peak} MiB "
        f"(everything in the container), score {run.document.get('score')}; import torch alone "
        f"{torch_alone:.1f} s; setup.sh {setup:.1f} s (packages reused)\n  {worker_peak}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("names", nargs="*", default=["second_order", "maml"])
    parser.add_argument("--cpus", type=float, default=0.5)
    parser.add_argument("--memory", type=int, default=768)
    options = parser.parse_args()
    print(f"at {options.cpus:g} CPU, {options.memory} MB, Docker's capabilities:")
    for name in options.names:
        print(measure(find_assignment(name), options.cpus, options.memory), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
