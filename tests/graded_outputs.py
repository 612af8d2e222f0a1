"""A small batch graded for real once per test run, shared by the output tests.

Four `second_order` submissions (correct, and three with recognised mistakes) and one that is
not a submission, graded by `grader grade --no-sandbox` (the sandbox is not the point here).
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from grader.cli import main
from tests.conftest import SUBMISSIONS

GRADED = {
    "ann": "correct_compact.py",
    "ben": "zeroed_gradients.py",
    "cat": "grad_accumulation.py",
    "dan": "missing_create_graph.py",
}


@functools.cache
def graded_folder() -> Path:
    """OUT of one `grader grade` run (read it; copy it before changing it)."""
    root = Path(tempfile.mkdtemp(prefix="graded-outputs-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    batch = root / "submissions"
    batch.mkdir()
    for name, file in GRADED.items():
        shutil.copy(SUBMISSIONS / "second_order" / file, batch / f"{name}.py")
    (batch / "eve.rar").write_bytes(b"Rar!")
    out = root / "out"
    code = main(["grade", "second_order", str(batch), "--out", str(out), "--no-sandbox", "--jobs", "2"])
    assert code == 0
    return out
