"""Where a sandboxed submission's CPU goes: the grading process (pytest, comparisons, the
reference) against the student's own code. The rest of a batch's CPU is the worker's.

    .venv/bin/python benchmarks/grading_split.py [--assignment maml] [N]

Grades N copies of a correct submission in one grader (the first warms the zygote, the
pytest session and the reference, and is not counted) and prints, per warm submission, the
grading process's CPU (getrusage), the reference's share of it, the time inside student
code as the worker timed it, and the CPU of everything together (this process and the
worker's, counted in a control group of their own where one can be made): what a
submission costs once a batch is running, its start-up left out. Needs the sandbox (root,
bubblewrap). Not part of the tests.
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.cpu_account import CpuAccount  # noqa: E402

CORRECT = {"second_order": "correct_compact", "maml": "correct_loop_style"}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=3)
    parser.add_argument("--assignment", default="maml", choices=sorted(CORRECT))
    options = parser.parse_args()
    from grader.course.assignment import find_assignment
    from grader.grading import GRADE, Grader, GradingOptions
    from grader.intake.submission import Submission
    from grader.sandbox.bubblewrap import Sandbox

    account = CpuAccount()
    account.enter()
    assignment = find_assignment(options.assignment)
    path = ROOT / "tests" / "submissions" / options.assignment / f"{CORRECT[options.assignment]}.py"
    with Grader(
        assignment,
        GradingOptions(
            mode=GRADE,
            run_slow=True,
            reference_dir=ROOT / "reference" / options.assignment,
            sandbox=Sandbox.require(assignment),
        ),
    ) as grader:
        grader.grade(Submission("warm-up", path))
        started, inside, reference = cpu_seconds(), 0.0, 0.0
        everything = account.seconds()
        for index in range(options.count):
            result, _ = grader.grade(Submission(f"s{index}", path))
            inside += result.student_seconds
            reference += result.reference_seconds
        trusted = cpu_seconds() - started
        everything = account.seconds() - everything
    account.close()
    n = options.count
    print(f"{options.assignment}: {n} warm submissions")
    print(
        f"  grading process CPU per submission: {trusted / n:.3f} s "
        f"(inside the reference: {reference / n:.3f} s)"
    )
    print(f"  inside student code per submission: {inside / n:.3f} s (the worker's timing)")
    print(
        f"  everything per submission (grading process and worker): {everything / n:.3f} CPU s, "
        f"{(everything - inside - reference) / n:.3f} beyond the time inside student and "
        f"reference code ({account.source})"
    )


if __name__ == "__main__":
    main()
