"""What the bubblewrap sandbox costs per submission: the same batch graded with and without it.

Run from the project root (as root, with bubblewrap installed):

    .venv/bin/python benchmarks/sandbox_overhead.py [N]

It grades N copies of a correct `second_order` submission (public and hidden tests) twice in
one process, alternating the order, and prints seconds per submission for each and the ratio.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.course.assignment import find_assignment  # noqa: E402
from grader.grading import GRADE, Grader, GradingOptions  # noqa: E402
from grader.intake.submission import Submission  # noqa: E402
from grader.sandbox.bubblewrap import Sandbox  # noqa: E402


def seconds_per_submission(grader: Grader, submissions: list[Submission]) -> float:
    started = time.perf_counter()
    for submission in submissions:
        result, _ = grader.grade(submission)
        assert abs(result.score - 100) < 1e-6, (submission.id, result.score)
    return (time.perf_counter() - started) / len(submissions)


def main(count: int) -> None:
    assignment = find_assignment(str(ROOT / "assignments" / "second_order"))
    reference = ROOT / "reference" / "second_order"
    sandbox = Sandbox.require(assignment)
    graders = {
        "no sandbox": Grader(assignment, GradingOptions(mode=GRADE, reference_dir=reference)),
        "sandbox": Grader(assignment, GradingOptions(mode=GRADE, reference_dir=reference, sandbox=sandbox)),
    }
    source = ROOT / "tests" / "submissions" / "second_order" / "correct_compact.py"
    with tempfile.TemporaryDirectory() as folder:
        submissions = []
        for index in range(count):
            path = Path(folder) / f"student{index:03d}.py"
            shutil.copy(source, path)
            submissions.append(Submission.at(path))
        timings: dict[str, list[float]] = {name: [] for name in graders}
        for order in (list(graders), list(reversed(graders))):
            for name in order:
                timings[name].append(seconds_per_submission(graders[name], submissions))
    for grader in graders.values():
        grader.close()
    plain = sum(timings["no sandbox"]) / 2
    boxed = sum(timings["sandbox"]) / 2
    print(f"submissions per run: {count} (each graded with public and hidden tests, 2 runs each)")
    print(f"no sandbox: {plain:.2f} s per submission")
    print(f"sandbox:    {boxed:.2f} s per submission")
    print(f"sandbox overhead: {boxed - plain:+.2f} s per submission, ratio {boxed / plain:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
