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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.errors import SubmissionError
from grader.grading import CHECK, Grader
from grader.intake.submission import Submission
from grader.results import GradedTest, SubmissionResult
from grader.submission_run import RunControl
from grader.watch.question_digests import Digests, changed_questions, question_digests
from grader.watch.report import Changes, WatchReport
from grader.watch.saves import SavedFiles

CANCEL_POLL_SECONDS = 0.1
"""How often a running check looks for a newer save."""


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
        poll_seconds: float = 0.03,
        settle_seconds: float = 0.05,
        cancel_after: float = 2.0,
    ) -> None:
        self.grader = grader
        self.path = path
        self.poll_seconds = poll_seconds
        self.cancel_after = cancel_after
        """A check running this long is cancelled by a newer save (a shorter one finishes:
        cancelling costs the next check a new zygote)."""
        self.last: SubmissionResult | None = None
        """The last final result."""
        self._on_update = on_update
        self._files = SavedFiles(path, settle_seconds=settle_seconds)
        self._events: queue.Queue[Event] = queue.Queue()
        self._digests: Digests | None = None
        self._helpers: dict[str, bytes] = {}
        self._started = False
        self._unanswered = False  # the last save's check was cancelled: check again
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
            if self._files.settle() or self._unanswered:
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
        digests, helpers = self._code()
        first = self._changed(digests, helpers)
        rest = tuple(q for q in self._questions if q not in first)

        def early(tests: list[GradedTest]) -> None:
            if not control.cancelled.is_set():
                self._show(self._early_result(tests, first), started, checking=rest)

        control = RunControl(first, early if first and rest and self.last is not None else None)
        done = threading.Event()
        threading.Thread(
            target=self._cancel_if_saved_again, args=(control, started, done), daemon=True
        ).start()
        try:
            result = self._grade(control)
        finally:
            done.set()
        self._unanswered = control.cancelled.is_set()
        if self._unanswered:
            return  # a newer save is checked instead
        result.tests = self._in_question_order(result.tests)
        self._show(result, started)
        self.last, self._digests, self._helpers = result, digests, helpers

    def _grade(self, control: RunControl) -> SubmissionResult:
        """The check of the file as it is now; one that is gone (an editor replacing it) is a
        report that says so, like any other."""
        assignment = self.grader.assignment
        try:
            submission = Submission.at(self.path, assignment)
        except SubmissionError as exc:
            return SubmissionResult(self.path.name, assignment.name, CHECK, problem=str(exc))
        return self.grader.grade(submission, control)[0]

    def _cancel_if_saved_again(self, control: RunControl, started: float, done: threading.Event) -> None:
        """A check still running long after a newer save (an endless loop, a long training
        run) is cancelled: its question in flight is killed with the zygote, which the next
        check starts again (about an import of torch), and its remaining tests are skipped."""
        while not done.wait(min(self.poll_seconds, CANCEL_POLL_SECONDS)):
            if time.perf_counter() - started >= self.cancel_after and self._files.moved():
                control.cancelled.set()
                self.grader.warm_worker().discard()
                return

    def _code(self) -> tuple[Digests | None, dict[str, bytes]]:
        """Each question's code digest in the student's file (None where that is not known:
        a notebook, a file that does not parse), and the helper modules beside it."""
        source = self._files.contents.get(self._student_file)
        helpers = {n: c for n, c in self._files.contents.items() if n != self._student_file}
        if source is None or not self._student_file.endswith(".py"):
            return None, helpers
        return question_digests(source.decode("utf-8", "replace"), self._questions), helpers

    def _changed(self, digests: Digests | None, helpers: dict[str, bytes]) -> frozenset[str]:
        """The questions whose code changed since the last check; none where that is not
        known (or a helper module changed): then all run in order."""
        changed = changed_questions(self._digests, digests, self._questions)
        if helpers != self._helpers or len(changed) == len(self._questions):
            return frozenset()
        return changed

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
