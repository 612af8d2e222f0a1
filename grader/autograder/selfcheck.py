"""The last step of setup.sh: prove the image can grade before any student submits.

Imports torch and the grader, starts Python as the unprivileged uid under the confinement
(so an interpreter that uid cannot run, or a filter that breaks torch's import, fails the
build instead of every submission), and grades the reference once: it must earn every point.
Exits 1 with one line saying what failed.
"""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import ExitStack

from grader.autograder.grade_one import container_confinement, grade
from grader.autograder.layout import Layout
from grader.autograder.settings import AutograderSettings
from grader.course.assignment import Assignment
from grader.errors import GraderError
from grader.version import installed_version

CONFINED_IMPORT = "import torch, grader; torch.ones(2).sum()"


def check(layout: Layout) -> str:
    """One line on success; raises GraderError with one line otherwise."""
    import torch

    settings = AutograderSettings.read(layout.settings)
    assignment = Assignment.load(layout.public / settings.assignment)
    with ExitStack() as stack:
        confinement = container_confinement(settings, stack)
        argv = confinement.launcher([sys.executable, "-I", "-c", CONFINED_IMPORT])
        run = subprocess.run(argv, capture_output=True, text=True, timeout=600)
        if run.returncode != 0:
            last = (run.stderr.strip().splitlines() or ["no message"])[-1]
            raise GraderError(f"Python as uid {confinement.uid} cannot import torch and the grader: {last}")
    started = time.monotonic()
    reference = layout.reference / settings.assignment / assignment.file_name
    with ExitStack() as stack:
        _, result = grade(layout, stack, submission=reference, student_key="setup-check")
    lost = [t for t in result.tests if not t.passed]
    if result.problem or lost:
        why = result.problem or f"{lost[0].name}: {lost[0].status} {lost[0].message}"[:300]
        raise GraderError(f"the reference did not earn every point ({why})")
    earned = sum(t.score for t in result.tests)
    return (
        f"ok: torch {torch.__version__}, {installed_version()}, reference graded "
        f"{earned:g}/{assignment.total_points:g} in {time.monotonic() - started:.1f} s"
    )


def main() -> int:
    try:
        print(check(Layout.from_environment()))
    except GraderError as exc:
        sys.stdout.flush()  # the failure is the log's last line
        print(f"selfcheck: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one line in the build's log
        sys.stdout.flush()
        print(f"selfcheck: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
