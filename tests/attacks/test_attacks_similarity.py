"""A submission crafted to stall `grader similarity` for the whole class costs only itself.

The comparison runs in the trusted process, over every submission together, with no time
limit of a question's: a file that makes it slow makes it slow for everyone. Each attack is
compared beside honest students, in a process with a deadline a hundred times what the
honest comparison takes.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import SUBMISSIONS

pytestmark = pytest.mark.slow

HONEST = ["correct_compact", "correct_backward_style", "correct_many_idioms"]
DEADLINE_S = 60


def _pad():
    spec = importlib.util.spec_from_file_location(
        "hostile_pad", SUBMISSIONS / "hostile_adjacent_literals" / "pad.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.padded


def test_a_run_of_adjacent_string_literals_does_not_stall_the_comparison(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in HONEST:
        shutil.copy(SUBMISSIONS / "second_order" / f"{name}.py", folder / f"{name}.py")
    correct = (SUBMISSIONS / "second_order" / "correct_compact.py").read_text()
    (folder / "mallory.py").write_text(_pad()(correct))
    assert len((folder / "mallory.py").read_text()) < 1_000_000  # compared whole, not cut
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "similarity", "second_order", str(folder), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "similarity.json").read_text())
    assert sorted(report["submissions"]) == sorted([*HONEST, "mallory"])
    # mallory's copy of correct_compact is still found: the padding hides nothing
    top = report["pairs"][0]
    assert {top["a"], top["b"]} == {"correct_compact", "mallory"} and top["suspicious"]
