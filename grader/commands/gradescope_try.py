"""Try a Gradescope autograder zip here before uploading it, as Gradescope would run it.

Unpacks the zip into a Gradescope-like layout under a temporary root, runs setup.sh, then
run_autograder for each SUBMISSION with Gradescope's default 0.5 CPU and 768 MB (a control
group) and Docker's default capabilities, and prints what the student would see before and
after the due date, with the time and peak memory of each run. Needs root.
"""

from __future__ import annotations

import argparse
import sysconfig
from pathlib import Path

from rich.console import Console

from grader.autograder.student_view import student_view
from grader.autograder.trial import gradescope_metadata, run_setup, run_submission, trial_root, unpack
from grader.errors import ExitCode, GraderError

NAME = "gradescope-try"
HELP = "run a Gradescope autograder zip on submissions here, as Gradescope would (instructors)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("zip", type=Path, help="the zip `grader gradescope` wrote")
    parser.add_argument(
        "submissions", nargs="+", type=Path, metavar="SUBMISSION", help="a file or folder, as uploaded"
    )
    parser.add_argument("--cpus", type=float, default=0.5, help="the container's CPUs (default 0.5)")
    parser.add_argument(
        "--memory", type=int, default=768, metavar="MIB", help="the container's memory (default 768)"
    )
    parser.add_argument(
        "--download",
        action="store_true",
        help="let setup.sh download its pinned packages as on Gradescope (default: reuse this environment's)",
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="make the trial root in DIR and keep it")


def run(options: argparse.Namespace) -> int:
    if not options.zip.is_file():
        raise GraderError(f"{options.zip}: no such file")
    missing = [str(p) for p in options.submissions if not p.exists()]
    if missing:
        raise GraderError(f"{missing[0]}: no such file or folder")
    if options.keep is not None and not options.keep.is_dir():
        raise GraderError(f"--keep {options.keep}: no such folder: make it first, or give an existing one")
    console = Console(highlight=False)
    reuse = None if options.download else sysconfig.get_paths()["purelib"]
    with trial_root(options.keep) as layout:
        unpack(options.zip, layout)
        console.print(f"setup.sh under {layout.root}: {run_setup(layout, reuse=reuse)}", markup=False)
        for number, submission in enumerate(options.submissions, start=1):
            trial = run_submission(
                layout,
                submission,
                gradescope_metadata(1000 + number),
                cpus=options.cpus,
                memory_mib=options.memory,
            )
            cpu = f"{trial.cpu_seconds:.1f} CPU s" if trial.cpu_seconds is not None else "CPU not measured"
            peak = f"{trial.peak_mib:.0f} MiB" if trial.peak_mib is not None else "not measured"
            console.rule(f"{submission}", style="bold")
            console.print(
                f"run_autograder: {trial.seconds:.1f} s, {cpu}, peak memory {peak} "
                f"(at {options.cpus:g} CPU, {options.memory} MB)",
                markup=False,
            )
            console.print(
                "instructors see (stdout):\n" + "\n".join(trial.stdout.splitlines()[:8]), markup=False
            )
            for after in (False, True):
                console.print(student_view(trial.document, after_due_date=after), markup=False)
    return ExitCode.OK
