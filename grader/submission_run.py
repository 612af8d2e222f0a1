"""What belongs to one submission alone while the session's tests run against it.

The pytest session is collected once and runs its tests once per :class:`SubmissionRun` it is
handed (see :mod:`grader.session`); a run keeps what belongs to its submission alone: its worker
session, its graded tests, what it recorded, the questions it lost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grader import problems, results
from grader.current_test import Bound, LeaderboardEntry
from grader.worker_client import SubmissionWorkers


@dataclass(frozen=True)
class RunControl:
    """How a caller steers one run (`grader check --watch`): which questions first, who is
    told when they are done, and whether the run is still wanted."""

    first: frozenset[str] = frozenset()
    """Questions whose tests run before the others' (those a save changed, so that what the
    student just edited is answered first)."""
    on_first: Callable[[list[results.GradedTest]], None] | None = None
    """Told the tests graded so far once the `first` questions have run, while the others
    still run (called in the pytest session's thread)."""
    cancelled: threading.Event = field(default_factory=threading.Event)
    """Set when the result is no longer wanted (a newer save): the tests left fail at once,
    without a worker."""


@dataclass
class SubmissionRun:
    """One submission's pass through the collected tests, and everything it produced."""

    submission_id: str
    make_pool: Callable[[], SubmissionWorkers]
    tests: list[results.GradedTest] = field(default_factory=list)
    recorded: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lost_questions: dict[str, problems.StudentProblem] = field(default_factory=dict)
    static_tampering: dict[str, list[str]] = field(default_factory=dict)
    control: RunControl = field(default_factory=RunControl)
    seed_salt: str = ""
    """Salts the session's seed key for this run alone: other inputs for the same tests."""
    bounds: list[Bound] = field(default_factory=list)
    """What the tests bounded with expect_at_most, as it came out."""
    leaderboard: list[tuple[str, LeaderboardEntry]] = field(default_factory=list)
    """Each test's leaderboard figures, by the test's node id (shown only for passing public
    tests: :func:`grader.leaderboard.shown`)."""
    error: BaseException | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    _pool: SubmissionWorkers | None = None

    def pool(self) -> SubmissionWorkers:
        """This submission's session with the worker, made on first use."""
        if self.control.cancelled.is_set():
            raise problems.WorkerUnavailable("not run: the check was cancelled")
        if self._pool is None:
            self._pool = self.make_pool()
        return self._pool

    def start_early(self) -> None:
        """Ask for the submission's process before the tests run (unless cancelled already):
        see :meth:`SubmissionWorkers.start`."""
        if not self.control.cancelled.is_set():
            self.pool().start()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    @property
    def captured_output(self) -> str:
        return self._pool.output.text() if self._pool is not None else ""

    @property
    def late_tampering(self) -> dict[str, str]:
        """Questions whose tampering was recorded only as they ended."""
        return self._pool.late_tampering if self._pool is not None else {}

    @property
    def student_seconds(self) -> float:
        return self._pool.student_seconds if self._pool is not None else 0.0
