"""The loop of `grader check --watch`: wait for a save, check it, show it, again.

One :class:`~grader.grading.Grader` serves every save, so its pytest session and its zygote
(torch imported) stay warm; each check is a fresh submission to it, forked anew, so no
state of one save's code reaches the next. The loop is driven by events: a poll that
notices a save, or :meth:`Watch.saved` and :meth:`Watch.stop` called from elsewhere (tests,
an editor's hook); every report goes to the `on_update` callback.
"""

from __future__ import annotations

import enum
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.grading import CHECK, Grader
from grader.intake.submission import Submission
from grader.results import GradedTest, SubmissionResult
from grader.watch.question_digests import Digests, changed_questions, question_digests
from grader.watch.report import Changes, WatchReport
from grader.watch.saves import SavedFiles


class Event(enum.Enum):
    SAVED = "saved"
    STOP = "stop"


@dataclass(frozen=True)
class WatchUpdate:
    """One report: early (the questions a save changed, the others still running) or final."""

    report: WatchReport
    final: bool

    @property
    def result(self) -> SubmissionResult:
        return self.report.result


class Watch:
    """Checks the submission at `path` now and again after every save, until stopped."""

    def __init__(
        self,
        grader: Grader,
        path: Path,
        *,
        on_update: Callable[[WatchUpdate], None],
        poll_seconds: float = 0.05,
        settle_seconds: float = 0.05,
    ) -> None:
        self.grader = grader
        self.path = path
        self.poll_seconds = poll_seconds
        self.last: SubmissionResult | None = None
        """The last final result."""
        self._on_update = on_update
        self._files = SavedFiles(path, settle_seconds=settle_seconds)
        self._events: queue.Queue[Event] = queue.Queue()
        self._digests: Digests | None = None
        self._helpers: dict[str, bytes] = {}
        self._started = False
        assignment = grader.assignment
        self._questions = sorted(
            grader.options.questions or assignment.questions,
            key=list(assignment.questions).index,
        )
        self._student_file = path.name if path.is_file() else assignment.file_name

    def saved(self) -> None:
        """Say that a file was saved, as a poll would notice (it is checked if its content
        changed)."""
        self._events.put(Event.SAVED)

    def stop(self) -> None:
        """End :meth:`run` once the check in flight, if any, is done."""
        self._events.put(Event.STOP)

    def check_first(self) -> None:
        """The first check (the slow one: it starts the grader's session and its worker)."""
        self._started = True
        self._files.settle()
        self._check()

    def run(self) -> None:
        """Check now (unless :meth:`check_first` did), then after every save, until
        :meth:`stop` (or Ctrl-C)."""
        if not self._started:
            self.check_first()
        while self._next_event() is Event.SAVED:
            if self._files.settle():
                self._check()

    def _next_event(self) -> Event:
        while True:
            try:
                return self._events.get(timeout=self.poll_seconds)
            except queue.Empty:
                if self._files.moved():
                    return Event.SAVED

    def _check(self) -> None:
        started = time.perf_counter()
        first = self._changed()
        rest = tuple(q for q in self._questions if q not in first)

        def early(tests: list[GradedTest]) -> None:
            self._show(self._early_result(tests, first), started, checking=rest)

        result, _ = self.grader.grade(
            Submission.at(self.path, self.grader.assignment),
            first=first,
            on_first=early if first and rest and self.last is not None else None,
        )
        result.tests = self._in_question_order(result.tests)
        self._show(result, started)
        self.last = result

    def _changed(self) -> frozenset[str]:
        """The questions whose code this save changed; none where that is not known (a
        helper module changed, a notebook, a file that does not parse): all run in order."""
        source = self._files.contents.get(self._student_file)
        helpers = {n: c for n, c in self._files.contents.items() if n != self._student_file}
        digests = None
        if source is not None and self._student_file.endswith(".py"):
            digests = question_digests(source.decode("utf-8", "replace"), self._questions)
        helpers_same = helpers == self._helpers
        before, self._digests, self._helpers = self._digests, digests, helpers
        changed = changed_questions(before, digests, self._questions)
        return changed if helpers_same and len(changed) < len(self._questions) else frozenset()

    def _early_result(self, tests: list[GradedTest], first: frozenset[str]) -> SubmissionResult:
        """The questions just checked, beside the others as the last check left them."""
        last = self.last
        assert last is not None, "an early report needs an earlier check"
        kept = [t for t in last.tests if t.question not in first]
        return SubmissionResult(
            last.submission_id,
            last.assignment,
            CHECK,
            tests=self._in_question_order([t for t in tests if t.question in first] + kept),
            ungraded_hidden_points=last.ungraded_hidden_points,
        )

    def _in_question_order(self, tests: list[GradedTest]) -> list[GradedTest]:
        order = list(self.grader.assignment.questions)
        return sorted(tests, key=lambda t: order.index(t.question) if t.question in order else len(order))

    def _show(self, result: SubmissionResult, started: float, checking: tuple[str, ...] = ()) -> None:
        report = WatchReport(
            result,
            Changes.between(self.last, result),
            file_name=self._student_file,
            seconds=time.perf_counter() - started,
            checking=checking,
            catalogue=self.grader.assignment.misconceptions,
            first_check=self.last is None,
        )
        self._on_update(WatchUpdate(report, final=not checking))
