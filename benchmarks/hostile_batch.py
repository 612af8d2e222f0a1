"""What a batch of hostile submissions costs beside as many correct ones, both sandboxed.

Run from the project root, as root with bubblewrap installed:

    .venv/bin/python benchmarks/hostile_batch.py

In one process, with the limits tests/attacks/test_hostile.py grades under (5 s a call, 20 s
to import): the hostile submissions of tests/submissions/hostile graded as one batch, then as
many copies of a correct submission (the baseline). Prints both times, their ratio, and what
the limits alone account for: each submission stopped at a limit waited for it once. Not part
of the tests: test_hostile.py checks that each stall is ended by its limit.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from grader.commands.grade import grade_batch  # noqa: E402
from grader.course.assignment import Limits, find_assignment  # noqa: E402
from grader.grading import GRADE, Grader, GradingOptions  # noqa: E402
from grader.intake.submission import Submission  # noqa: E402
from grader.results import SubmissionResult  # noqa: E402
from grader.sandbox.bubblewrap import Sandbox  # noqa: E402

LIMITS = Limits(call_seconds=5, import_seconds=20, memory_mib=2048)
SUBMISSIONS = ROOT / "tests" / "submissions"


def graded(folder: Path, out: Path) -> tuple[float, list[SubmissionResult]]:
    """Seconds to grade every submission in `folder` as one batch, and the results."""
    assignment = find_assignment(str(ROOT / "assignments" / "second_order"))
    options = GradingOptions(
        mode=GRADE,
        reference_dir=ROOT / "reference" / "second_order",
        sandbox=Sandbox.require(assignment),
        limits=LIMITS,
    )
    with open(os.devnull, "w") as quiet, Grader(assignment, options) as grader:
        started = time.perf_counter()
        submissions = [Submission.at(path) for path in sorted(folder.glob("*.py"))]
        results = grade_batch(grader, submissions, out, Console(file=quiet))
        return time.perf_counter() - started, results


def waited_for_limits(results: list[SubmissionResult]) -> float:
    """The seconds the limits account for: one wait per submission stopped at a limit."""
    total = 0.0
    for result in results:
        messages = " ".join(t.message for t in result.tests)
        if f"timed out after {LIMITS.import_seconds:g} s while importing" in messages:
            total += LIMITS.import_seconds
        total += LIMITS.call_seconds * messages.count(f"timed out after {LIMITS.call_seconds:g} s")
    return total


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        hostile, correct = Path(scratch) / "hostile", Path(scratch) / "correct"
        shutil.copytree(SUBMISSIONS / "hostile", hostile)
        correct.mkdir()
        for path in hostile.glob("*.py"):
            shutil.copy(SUBMISSIONS / "second_order" / "correct_compact.py", correct / path.name)
        hostile_seconds, results = graded(hostile, Path(scratch) / "out-hostile")
        correct_seconds, _ = graded(correct, Path(scratch) / "out-correct")
    limits = waited_for_limits(results)
    print(
        f"{len(results)} submissions a batch, sandboxed, {LIMITS.call_seconds:g} s a call, "
        f"{LIMITS.import_seconds:g} s to import"
    )
    print(f"correct copies (baseline): {correct_seconds:.1f} s")
    print(f"hostile: {hostile_seconds:.1f} s ({hostile_seconds / correct_seconds:.1f} x the baseline)")
    print(
        f"of which waiting out the limits: {limits:g} s; the rest "
        f"{hostile_seconds - limits:.1f} s ({(hostile_seconds - limits) / correct_seconds:.1f} x the baseline)"
    )


if __name__ == "__main__":
    main()
