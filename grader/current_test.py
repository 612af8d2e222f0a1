"""The test under way, as the author API's comparisons see it: its tolerance, its bounds and
its leaderboard figures.

The plugin makes one :class:`CurrentTest` per test it runs (:func:`running`); a comparison
reads the test's ``@pytest.mark.tolerance`` from it, and :func:`~grader.feedback.expect_at_most`
writes the value it bounded there, for ``grader validate`` to report the reference's margin.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bound:
    """A value a test required to be at most `bound` (``expect_at_most``), as it came out."""

    nodeid: str
    question: str
    what: str
    value: float
    bound: float


@dataclass(frozen=True)
class LeaderboardEntry:
    """A figure a test reports for Gradescope's leaderboard (``leaderboard``): shown to the
    whole class, so only a passing public test's counts."""

    name: str
    value: float
    order: str  # "asc": lower ranks first; "desc": higher does

    def as_dict(self) -> dict[str, str | float]:
        return {"name": self.name, "value": self.value, "order": self.order}


@dataclass
class CurrentTest:
    """What the comparisons of one test share."""

    nodeid: str = ""
    question: str = ""
    rtol: float | None = None
    atol: float | None = None
    """The test's own defaults (its tolerance marker); None: its dtype's."""
    bounds: list[Bound] = field(default_factory=list)
    leaderboard: list[LeaderboardEntry] = field(default_factory=list)


_CURRENT: contextvars.ContextVar[CurrentTest | None] = contextvars.ContextVar("current_test", default=None)


@contextlib.contextmanager
def running(test: CurrentTest) -> Iterator[CurrentTest]:
    """`test` is the one under way until the block ends."""
    token = _CURRENT.set(test)
    try:
        yield test
    finally:
        _CURRENT.reset(token)


def current() -> CurrentTest:
    """The test under way; outside one (a check called from a script), one with no marker."""
    return _CURRENT.get() or CurrentTest()
