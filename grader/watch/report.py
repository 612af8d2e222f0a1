"""What `grader check --watch` shows after a save: the check's report, then what changed.

The report is :class:`~grader.outputs.submission_report.SubmissionReport`, the one
`grader check` prints; above it a line says what was checked and how long it took, below it
which tests now pass or now fail that did not before, and whether the rest is still being
checked.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from grader.course.misconceptions import Catalogue
from grader.outputs.submission_report import SubmissionReport, plain
from grader.results import SubmissionResult


@dataclass(frozen=True)
class Changes:
    """Tests that pass now but did not in the last check, and tests that no longer pass."""

    passing: tuple[str, ...] = ()
    """The question of each test that now passes (one entry per test)."""
    failing: tuple[str, ...] = ()

    @classmethod
    def between(cls, before: SubmissionResult | None, now: SubmissionResult) -> Changes:
        """Compared test by test; a test not run (slow, or new) is no change."""
        if before is None:
            return cls()
        was = {t.nodeid: t.passed for t in before.run_tests}
        ran = [t for t in now.run_tests if t.nodeid in was]
        return cls(
            passing=tuple(t.question for t in ran if t.passed and not was[t.nodeid]),
            failing=tuple(t.question for t in ran if not t.passed and was[t.nodeid]),
        )

    def __bool__(self) -> bool:
        return bool(self.passing or self.failing)


@dataclass(frozen=True)
class WatchReport:
    """One screen of `grader check --watch`."""

    result: SubmissionResult
    changes: Changes
    file_name: str
    seconds: float
    """From the save being noticed to this report."""
    checking: tuple[str, ...] = ()
    """Questions still being checked: their rows show the last check's results."""
    catalogue: Catalogue | None = None
    first_check: bool = False
    """The session's first check: nothing to compare it with."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield plain(f"{self.file_name} checked in {self.seconds:.2f} s", style="bold")
        yield SubmissionReport(self.result, catalogue=self.catalogue)
        if self.checking:
            yield plain(f"Still checking {', '.join(self.checking)} (shown as last checked)…", style="yellow")
        if not self.first_check:
            yield self._changes()
        yield plain("Watching for saves; Ctrl-C to stop.", style="dim")

    def _changes(self) -> Text:
        if not self.changes:
            return plain("No test changed its outcome since the last check.", style="dim")
        line = Text("Since the last check: ")
        if self.changes.passing:
            line.append_text(plain(f"now passing {_names(self.changes.passing)}", style="green"))
        if self.changes.passing and self.changes.failing:
            line.append("; ")
        if self.changes.failing:
            line.append_text(plain(f"now failing {_names(self.changes.failing)}", style="red"))
        line.append(".")
        return line


def _names(questions: tuple[str, ...]) -> str:
    """Each question once, with how many of its tests: `update (2 tests), predict (1 test)`."""
    counts = Counter(questions)
    return ", ".join(f"{q} ({n} test{'s' if n > 1 else ''})" for q, n in counts.items())
