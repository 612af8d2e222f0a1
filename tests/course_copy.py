"""A copy of the second_order assignment and its reference, to change and grade in a test."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.cli import main
from tests.conftest import ASSIGNMENTS, REFERENCE, SUBMISSIONS

CORRECT = SUBMISSIONS / "second_order" / "correct_compact.py"
ZEROED = SUBMISSIONS / "second_order" / "zeroed_gradients.py"
CACHES = shutil.ignore_patterns("__pycache__", ".pytest_cache")


def copy_course(root: Path, late: str = "") -> Path:
    """assignments/second_order and reference/second_order under `root` (where the grader
    looks for the reference beside the assignments), with `late` added to assignment.toml;
    the assignment's folder."""
    folder = root / "assignments" / "second_order"
    shutil.copytree(ASSIGNMENTS / "second_order", folder, ignore=CACHES)
    shutil.copytree(REFERENCE / "second_order", root / "reference" / "second_order", ignore=CACHES)
    if late:
        config = folder / "assignment.toml"
        config.write_text(config.read_text() + "\n" + late)
    return folder


def hand_in(folder: Path, sources: dict[str, Path]) -> Path:
    """A folder of submissions, one `<id>.py` per student."""
    folder.mkdir(parents=True)
    for student, source in sources.items():
        shutil.copy(source, folder / f"{student}.py")
    return folder


def grade(assignment: Path, submissions: Path, out: Path, *extra: str) -> int:
    """`grader grade` in this process, without the sandbox (not the point here), one job."""
    return main(
        ["grade", str(assignment), str(submissions), "--out", str(out), "--no-sandbox", "--jobs", "1", *extra]
    )
