"""Which leaderboard figures a submission shows: Gradescope shows them to the whole class.

A test reports a figure with ``grader.testing.leaderboard``. Only a passing public test's
count: a hidden test's figure would tell the class about inputs drawn for one student before
the due date, and a failing test's may come from code that did not do what was asked. Each
name shows once, as the first passing public test reported it.
"""

from __future__ import annotations

from typing import Any

from grader import results
from grader.current_test import LeaderboardEntry

MAX_ENTRIES = 10


def shown(
    reported: list[tuple[str, LeaderboardEntry]], tests: list[results.GradedTest]
) -> list[dict[str, Any]]:
    """The entries of `reported` (node id, entry) that a results.json may carry."""
    public_passes = {t.nodeid for t in tests if t.passed and t.visibility != results.HIDDEN}
    entries: dict[str, LeaderboardEntry] = {}
    for nodeid, entry in reported:
        if nodeid in public_passes and entry.name not in entries and len(entries) < MAX_ENTRIES:
            entries[entry.name] = entry
    return [entry.as_dict() for entry in entries.values()]
