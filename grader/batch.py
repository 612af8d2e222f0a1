"""Grade many submissions, in this process or in N parallel grading processes.

Each grading process is trusted: it loads the reference and keeps it, and grades one
submission after another, each in its own worker (and sandbox). Processes are forked from
the standard library's fork server, which has imported torch and the grader but nothing
else: none inherits another's state, and all share the memory torch's import takes (about
150 MB each otherwise). Results come back as plain data.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.course.assignment import Assignment
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.results import SubmissionResult
from grader.sandbox.bubblewrap import Sandbox


@dataclass(frozen=True)
class BatchSettings:
    """What a grading process needs to build its own Grader (all picklable)."""

    assignment_folder: Path
    reference_dir: Path
    sandbox: bool
    questions: frozenset[str] | None = None
    """Grade only these questions (`grader grade --question`); None: all of them."""


_grader: Grader | None = None
"""This grading process's Grader, built once as the process starts."""


PRELOADED = ["torch", "numpy", "pytest", "grader.grading"]
"""What the fork server imports once for every grading process; never the reference."""

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from <malloc.h>


def _return_large_buffers_to_the_system() -> None:
    """Make glibc give back each tensor-sized buffer when it is freed instead of keeping it.

    A grading process decodes one 16 MB reply after another; by default glibc raises its
    threshold and keeps such buffers in its heap, about 50 MB per process for nothing.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc: its allocator decides
        ctypes.CDLL(name).mallopt(M_MMAP_THRESHOLD, 1 << 20)


def _start_process(settings: BatchSettings, torch_threads: int = 1) -> Grader:
    """Set up this grading process and build its Grader (also returned)."""
    global _grader
    import torch

    # A grading process runs only the reference's small computations; with torch's default
    # of a thread per core, idle OpenMP threads spin between them: measured on an assignment
    # that trains, with --jobs 1, 0.2 to 3.6 CPU s per submission against 0.15 s on one thread.
    torch.set_num_threads(torch_threads)
    _return_large_buffers_to_the_system()
    _grader = build_grader(settings)
    # Pool processes end without running atexit; multiprocessing's own finalizers do run.
    multiprocessing.util.Finalize(None, _grader.close, exitpriority=10)
    return _grader


def build_grader(settings: BatchSettings) -> Grader:
    """The Grader of one grading process: `grader grade`'s options, slow tests included."""
    assignment = Assignment.load(settings.assignment_folder)
    sandbox = Sandbox.require(assignment) if settings.sandbox else None
    return Grader(
        assignment,
        GradingOptions(
            mode=GRADE,
            reference_dir=settings.reference_dir,
            run_slow=True,
            sandbox=sandbox,
            questions=settings.questions,
        ),
    )


def _grade_here(submission: Submission) -> dict[str, Any]:
    assert _grader is not None, "the process was started without its grader"
    result, _ = _grader.grade(submission)
    return result.to_dict()


def grade_all(
    settings: BatchSettings, submissions: list[Submission], jobs: int
) -> Iterator[SubmissionResult]:
    """Yield each submission's result as soon as it is graded (in completion order)."""
    if not submissions:
        return
    if jobs <= 1 or len(submissions) <= 1:
        grader = _start_process(settings)
        try:
            for submission in submissions:
                yield SubmissionResult.from_dict(_grade_here(submission))
        finally:
            grader.close()
        return
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOADED)
    with concurrent.futures.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start_process, initargs=(settings, 1)
    ) as pool:
        futures = [pool.submit(_grade_here, submission) for submission in submissions]
        try:
            for future in concurrent.futures.as_completed(futures):
                yield SubmissionResult.from_dict(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise
