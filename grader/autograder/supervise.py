"""What `run_autograder` runs: grade in a child, and leave a valid results.json whatever happens.

Gradescope shows "The autograder failed to execute correctly" for a missing or malformed
results.json. So this process, which imports nothing heavy and never runs student code,
first makes the results and the student's metadata root's alone and writes a result that says
the grading did not finish; then it runs :mod:`grader.autograder.grade_one` and waits for it,
at most the zip's time limit less a margin. A grader that dies (the container's memory, a
crash) or runs out of time leaves that file replaced by one line saying which.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

from grader.autograder.layout import Layout
from grader.autograder.results_document import as_json, failure_document
from grader.autograder.settings import AutograderSettings
from grader.intake.files import write_text_atomic

MARGIN_SECONDS = 20
"""Kept of Gradescope's time limit to write the result after stopping a grader that overran."""
NOT_FINISHED = "the grader did not finish"


def harden(layout: Layout) -> None:
    """Only root may read the zip (reference, hidden tests), the results and the metadata."""
    layout.results.mkdir(parents=True, exist_ok=True)
    for folder in (layout.source, layout.results):
        if folder.is_dir():
            folder.chmod(0o700)
    if layout.metadata.is_file():
        layout.metadata.chmod(0o600)


def deadline_seconds(layout: Layout) -> float:
    try:
        timeout = AutograderSettings.read(layout.settings).timeout_seconds
    except Exception:  # noqa: BLE001 - the child reports a bad settings file itself
        timeout = 600
    return max(timeout - MARGIN_SECONDS, 30)


def supervise(layout: Layout) -> None:
    """Run the grading child and replace its result with a one-line failure if it failed."""
    harden(layout)
    provisional = as_json(failure_document(f"{NOT_FINISHED} (no result was written)"))
    write_text_atomic(layout.results_json, provisional)
    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-I", "-m", "grader.autograder.grade_one", "--root", str(layout.root)],
        cwd=layout.root,
        start_new_session=True,
    )
    seconds = deadline_seconds(layout)
    try:
        code = child.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        line = f"{NOT_FINISHED} within {seconds:.0f} s (the zip's time limit, less {MARGIN_SECONDS} s)"
    else:
        line = _ended(code)
    if line and _unchanged(layout.results_json, provisional):
        write_text_atomic(layout.results_json, as_json(failure_document(line, time.monotonic() - started)))
        print(f"run_autograder: {line}", flush=True)


def _ended(code: int) -> str:
    """ "" for a grader that ended normally, else how it ended."""
    if code == 0:
        return ""
    if code == -signal.SIGKILL:
        return f"{NOT_FINISHED}: it was killed (SIGKILL: most likely the container's memory ran out)"
    if code < 0:
        return f"{NOT_FINISHED}: it was killed by {signal.Signals(-code).name}"
    return f"{NOT_FINISHED}: it exited with status {code}"


def _unchanged(path: Path, provisional: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == provisional
    except OSError:
        return True


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    with suppress(OSError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def main() -> int:
    supervise(Layout.from_environment())
    return 0


if __name__ == "__main__":
    sys.exit(main())
