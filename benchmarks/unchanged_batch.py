"""What `grader grade` saves on a batch it has already graded: the batch again, unchanged.

    .venv/bin/python benchmarks/unchanged_batch.py [N]

In one process: N copies of a correct `second_order` submission graded without the sandbox,
one job (the baseline), then `grader grade` run again on the same batch into the same --out,
where every submission is unchanged and kept. Prints both times and their ratio. Not part of
the tests: tests/gradebook/test_batch.py checks that no submission is graded again.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.cli import main as grader  # noqa: E402

SOURCE = ROOT / "tests" / "submissions" / "second_order" / "correct_compact.py"


def seconds(argv: list[str]) -> float:
    """How long `grader ARGV` takes in this process, its output kept out of the figures."""
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = grader(argv)
    assert code == 0, f"grader {' '.join(argv)} exited with {code}"
    return time.perf_counter() - started


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        batch, out = Path(folder) / "batch", Path(folder) / "out"
        batch.mkdir()
        for index in range(count):
            shutil.copy(SOURCE, batch / f"student{index:03d}.py")
        argv = ["grade", str(ROOT / "assignments" / "second_order"), str(batch), "--out", str(out)]
        argv += ["--no-sandbox", "--jobs", "1"]
        first = seconds(argv)
        again = seconds(argv)
    print(f"{count} correct second_order submissions, public and hidden tests, one job, no sandbox")
    print(f"graded (baseline): {first:.2f} s")
    print(f"again, all unchanged: {again:.2f} s ({again / first:.3f} of the baseline)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
