"""Grade many submissions, in this process or in N parallel grading processes.

Each grading process is trusted: it loads the reference and keeps it, and grades one
submission after another, each in its own worker (and sandbox). Processes are forked from
the standard library's fork server, which has imported torch and the grader but nothing
else: none inherits another's state, and all share the memory torch's import takes (about
150 MB each otherwise). Results come back as plain data.

A batch told to stop (SIGTERM, SIGINT, SIGHUP; :func:`stopped_by_signals`) ends every process
it started within a few seconds: each grading process kills its worker, sandbox and control
groups and exits; what is left (the fork server, anything a killed process left behind) is
killed after them. A result is never cut half way through its recording.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.util
import os
import signal
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from grader.course.assignment import Assignment
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.results import SubmissionResult
from grader.sandbox.bubblewrap import Sandbox
from grader.sandbox.process_tree import descendants, kill_descendants, kill_if_same


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
PR_SET_CHILD_SUBREAPER = 36  # prctl's option number, from <linux/prctl.h>
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name)
)
GRACE_SECONDS = 3.0
"""How long a grading process told to stop has to end its workers before it is killed."""


class Stopped(KeyboardInterrupt):
    """The batch was told to stop by a signal; what was recorded stays."""


_holding = False
"""A result is being recorded: a stop signal waits until it is."""
_pending: int | None = None


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
    if multiprocessing.parent_process() is not None:  # a pool's grading process
        for number in STOP_SIGNALS:
            signal.signal(number, _end_grading_process)
    _grader = build_grader(settings)
    # Pool processes end without running atexit; multiprocessing's own finalizers do run.
    multiprocessing.util.Finalize(None, _grader.close, exitpriority=10)
    _grader.start_worker()  # it imports torch while this process does
    import torch

    # A grading process runs only the reference's small computations; with torch's default
    # of a thread per core, idle OpenMP threads spin between them: measured on an assignment
    # that trains, with --jobs 1, 0.2 to 3.6 CPU s per submission against 0.15 s on one thread.
    torch.set_num_threads(torch_threads)
    _return_large_buffers_to_the_system()
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


def _end_workers() -> None:
    """Kill this process's workers now: the zygote, its sandbox and every student process in
    them, then the submissions' control groups (and whatever is still inside)."""
    kill_descendants(os.getpid(), GRACE_SECONDS)
    if _grader is not None and _grader.cgroups is not None:
        with contextlib.suppress(OSError):
            _grader.cgroups.close()


def _end_grading_process(number: int, frame: FrameType | None) -> None:
    """A pool's grading process told to stop: its workers go, then it, at once."""
    _end_workers()
    if _grader is not None:
        with contextlib.suppress(Exception):
            _grader.close()  # its folder; the worker is gone, so this is quick
    os._exit(128 + number)


def _stop_main(number: int, frame: FrameType | None) -> None:
    """`grader grade` told to stop: end the grading in this process, or stop waiting for the
    grading processes (which :func:`grade_all` then ends); never in the middle of a record."""
    global _pending
    if _holding:
        _pending = number
        return
    if _grader is not None:  # grading here (--jobs 1): its workers go before we unwind
        _end_workers()
    raise Stopped(number)


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Turn SIGTERM, SIGINT and SIGHUP into :class:`Stopped` while the block runs; once it
    is raised, every process started below this one is ended before it goes on. As a
    subreaper this process adopts what its descendants leave behind, so none escapes that."""
    _become_subreaper()
    before = {number: signal.signal(number, _stop_main) for number in STOP_SIGNALS}
    try:
        yield
    except Stopped:
        kill_descendants(os.getpid(), GRACE_SECONDS * 2)
        raise
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Record one result whole: a stop signal that comes meanwhile is acted on after it."""
    global _holding, _pending
    _holding, _pending = True, None
    try:
        yield
    finally:
        _holding = False
    if _pending is not None:
        number, _pending = _pending, None
        _stop_main(number, None)


def _become_subreaper() -> None:
    """Adopt orphaned descendants (Linux), so that the end of a batch reaches them too."""
    name = ctypes.util.find_library("c")
    if name is not None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _grade_here(submission: Submission) -> dict[str, Any]:
    assert _grader is not None, "the process was started without its grader"
    result, _ = _grader.grade(submission)
    return result.to_dict()


def grade_all(
    settings: BatchSettings, submissions: list[Submission], jobs: int
) -> Generator[SubmissionResult, None, None]:
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
    pool = concurrent.futures.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start_process, initargs=(settings, 1)
    )
    futures = [pool.submit(_grade_here, submission) for submission in submissions]
    try:
        for future in concurrent.futures.as_completed(futures):
            yield SubmissionResult.from_dict(future.result())
    except BaseException:  # stopped, or an error: never wait for the submissions in flight
        _end_pool(pool, futures)
        raise
    pool.shutdown()


def _end_pool(
    pool: concurrent.futures.ProcessPoolExecutor, futures: list[concurrent.futures.Future[dict[str, Any]]]
) -> None:
    """End the grading processes now: each ends its workers and exits (SIGTERM); whatever of
    theirs is left after GRACE_SECONDS is killed."""
    for future in futures:
        future.cancel()
    processes = list(getattr(pool, "_processes", {}).values())  # the executor's own record
    below = {
        pid: start for process in processes if process.pid for pid, start in descendants(process.pid).items()
    }
    for process in processes:
        with contextlib.suppress(OSError):
            process.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for process in processes:
        process.join(max(deadline - time.monotonic(), 0.0))
    for process in processes:
        with contextlib.suppress(OSError):
            process.kill()
    kill_if_same(below)  # a worker of a grading process that did not get to end it
    pool.shutdown(wait=False, cancel_futures=True)
