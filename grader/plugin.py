"""The pytest plugin that turns an assignment's tests into a grade.

Markers say which question a test grades and how much it weighs; the plugin gives every test
its share of the question's points, provides the `student`, `reference`, `given` and `seed`
fixtures, and collects each outcome into :class:`grader.results.GradedTest`. It runs in the
trusted process: student code is only reached through the `student` fixture's worker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator

import pytest

from grader import problems, results
from grader.assignment import Assignment, Limits
from grader.errors import ConfigError
from grader.misconceptions import recognise_error
from grader.reference import (LiveReference, RecordedReference, RecordingReference,
                              StaleExpectations, import_private)
from grader.student import StudentProxy
from grader.worker_client import WorkerPool

MARKERS = {
    "question(name)": "the question (graded function) this test grades",
    "weight(w)": "this test's share of its question's points, relative to its siblings (default 1)",
    "timeout(seconds)": "time limit for each call into student code in this test",
    "slow": "a long test: run by `grader grade`, and by `grader check` only with --slow",
}


@dataclass(frozen=True)
class PlannedTest:
    """What the markers say about one test, validated."""

    question: str
    weight: float
    timeout: float | None
    visibility: str
    slow: bool
    name: str


LOSES_QUESTION = (problems.StudentTimedOut, problems.StudentCrashed, problems.MemoryLimitExceeded)

PLAN_KEY = pytest.StashKey[PlannedTest]()
SCORE_KEY = pytest.StashKey[float]()


@dataclass
class GradingRun:
    """How this pytest session grades: which submission, in which mode, against what."""

    assignment: Assignment
    mode: str  # "check", "grade" or "record"
    submission_id: str
    make_pool: Callable[[], WorkerPool]
    hidden_tests: Path | None = None
    live_reference: LiveReference | None = None
    expectations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    recorded: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    run_slow: bool = False
    questions: frozenset[str] | None = None
    limits: Limits = field(default_factory=Limits)


class GradingPlugin:
    """Registered with ``pytest.main(..., plugins=[GradingPlugin(run)])``."""

    def __init__(self, run: GradingRun) -> None:
        self.run = run
        self.tests: list[results.GradedTest] = []
        self._pool: WorkerPool | None = None
        self.config_error: str = ""
        self._lost_questions: dict[str, problems.StudentProblem] = {}

    # --- collection and points ------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        for signature, help_text in MARKERS.items():
            config.addinivalue_line("markers", f"{signature}: {help_text}")

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        try:
            self._select(items)
        except ConfigError as exc:
            self.config_error = str(exc)
            items.clear()

    def _select(self, items: list[pytest.Item]) -> None:
        selected, deferred = [], []
        for item in items:
            plan = self._plan(item)
            if self.run.questions is not None and plan.question not in self.run.questions:
                continue
            item.stash[PLAN_KEY] = plan
            (deferred if plan.slow and not self.run.run_slow else selected).append(item)
        self._assign_points(selected + deferred)
        for item in deferred:
            self._record(item, results.NOT_RUN, "a slow test: run `grader check --slow` to include it")
        items[:] = selected

    def _plan(self, item: pytest.Item) -> PlannedTest:
        where = f"the markers on {item.nodeid}"
        marker = item.get_closest_marker("question")
        if marker is None or len(marker.args) != 1:
            raise ConfigError(f"missing @pytest.mark.question(name) on {item.nodeid}")
        question = marker.args[0]
        if question not in self.run.assignment.questions:
            raise ConfigError(f"unknown question {question!r} from {where}: "
                              "add it to assignment.toml or fix the marker")
        weight_marker = item.get_closest_marker("weight")
        weight = _positive(weight_marker.args[0] if weight_marker else 1, "weight", where)
        timeout_marker = item.get_closest_marker("timeout")
        timeout = _positive(timeout_marker.args[0], "timeout", where) if timeout_marker else None
        hidden = self.run.hidden_tests is not None and \
            Path(str(item.path)).is_relative_to(self.run.hidden_tests)
        return PlannedTest(question, weight, timeout, results.HIDDEN if hidden else results.VISIBLE,
                           item.get_closest_marker("slow") is not None, _sentence(item))

    def _assign_points(self, items: list[pytest.Item]) -> None:
        weights: dict[tuple[str, str], float] = {}
        for item in items:
            plan = item.stash[PLAN_KEY]
            key = (plan.question, plan.visibility)
            weights[key] = weights.get(key, 0.0) + plan.weight
        for item in items:
            plan = item.stash[PLAN_KEY]
            points = self.run.assignment.questions[plan.question]
            share = points.hidden if plan.visibility == results.HIDDEN else points.public
            item.stash[SCORE_KEY] = share * plan.weight / weights[(plan.question, plan.visibility)]
        self._check_every_share_has_tests(weights)

    def _check_every_share_has_tests(self, weights: dict[tuple[str, str], float]) -> None:
        for question, points in self.run.assignment.questions.items():
            if self.run.questions is not None and question not in self.run.questions:
                continue
            shares = [(results.VISIBLE, points.public)]
            if self.run.hidden_tests is not None:
                shares.append((results.HIDDEN, points.hidden))
            for visibility, share in shares:
                if share > 0 and (question, visibility) not in weights:
                    raise ConfigError(f"{question} has {share:g} {visibility} points in "
                                      "assignment.toml but no test for them")

    # --- outcomes ---------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Iterator[Any]:
        report = yield
        if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
            status, message, trace, misconception = _classify(call.excinfo)
            if misconception is None and status not in (results.PASSED, results.NOT_RUN):
                misconception = recognise_error(item.stash[PLAN_KEY].question, message)
            self._remember_lost_question(item, call.excinfo)
            self._record(item, status, message, trace, misconception, call.duration)
        return report

    def _remember_lost_question(self, item: pytest.Item,
                                excinfo: pytest.ExceptionInfo[BaseException] | None) -> None:
        """A hang or crash loses its question: its remaining tests fail without a new worker."""
        if excinfo is not None and isinstance(excinfo.value, LOSES_QUESTION):
            question = item.stash[PLAN_KEY].question
            self._lost_questions.setdefault(question, excinfo.value)

    def _record(self, item: pytest.Item, status: str, message: str, traceback: str = "",
                misconception: str | None = None, seconds: float = 0.0) -> None:
        plan = item.stash[PLAN_KEY]
        max_score = item.stash[SCORE_KEY]
        self.tests.append(results.GradedTest(
            name=plan.name, nodeid=item.nodeid, question=plan.question,
            visibility=plan.visibility, max_score=max_score,
            score=max_score if status == results.PASSED else 0.0, status=status,
            message=message, traceback=traceback, misconception=misconception,
            seconds=round(seconds, 4)))

    # --- fixtures ---------------------------------------------------------------------------

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> StudentProxy:
        """The submission, reached only through its worker."""
        pool = self._session()
        plan = request.node.stash[PLAN_KEY]
        lost = self._lost_questions.get(plan.question)
        if lost is not None:
            raise type(lost)(f"not run: {lost.message} in an earlier test of {plan.question}")
        limits = self.run.limits
        return StudentProxy(pool, question=plan.question,
                            call_seconds=plan.timeout or limits.call_seconds,
                            memory_mib=limits.memory_mib)

    @pytest.fixture
    def reference(self, request: pytest.FixtureRequest) -> Any:
        """Expected values: live from the solution, or recorded for the public tests."""
        nodeid = request.node.nodeid
        if self.run.mode == "record":
            assert self.run.live_reference is not None
            return RecordingReference(self.run.live_reference,
                                      self.run.recorded.setdefault(nodeid, []))
        plan = request.node.stash[PLAN_KEY]
        if self.run.live_reference is not None and (plan.visibility == results.HIDDEN
                                                    or not self.run.expectations):
            return self.run.live_reference
        return RecordedReference(nodeid, self.run.expectations.get(nodeid))

    @pytest.fixture
    def given(self) -> ModuleType:
        """The helpers given in the stub, loaded from the instructor's pristine copy."""
        assignment = self.run.assignment
        return import_private(f"grader_given_{assignment.name}", assignment.stub_path)

    @pytest.fixture
    def checks(self) -> ModuleType:
        """The assignment's shared comparisons (checks.py in its folder)."""
        assignment = self.run.assignment
        return import_private(f"grader_checks_{assignment.name}", assignment.folder / "checks.py")

    @pytest.fixture
    def seed(self, request: pytest.FixtureRequest) -> int:
        """A seed per test; hidden tests also vary it per submission."""
        plan = request.node.stash[PLAN_KEY]
        who = self.run.submission_id if plan.visibility == results.HIDDEN else "public"
        text = f"{self.run.assignment.name}/{request.node.nodeid}/{who}"
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big")

    def _session(self) -> WorkerPool:
        """This submission's session with the worker, made on first use."""
        if self._pool is None:
            self._pool = self.run.make_pool()
        return self._pool

    def start_worker(self) -> None:
        self._session().start()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    @property
    def captured_output(self) -> str:
        return self._pool.output.text() if self._pool is not None else ""


def _classify(excinfo: pytest.ExceptionInfo[BaseException] | None
              ) -> tuple[str, str, str, str | None]:
    """Map how a test ended to (status, message, student traceback, misconception)."""
    if excinfo is None:
        return results.PASSED, "", "", None
    exc = excinfo.value
    if isinstance(exc, problems.StudentProblem):
        return exc.status, exc.message, exc.traceback, getattr(exc, "misconception", None)
    if isinstance(exc, problems.Mismatch):
        return results.FAILED, exc.message, "", exc.misconception
    if isinstance(exc, AssertionError):
        return results.FAILED, str(exc).split("\nassert ")[0], "", None
    if isinstance(exc, StaleExpectations):
        return (results.GRADER_ERROR, f"{exc}: the recorded expectations are stale; "
                "ask your instructor for the current assignment files", "", None)
    if excinfo.errisinstance(pytest.skip.Exception):
        return results.NOT_RUN, str(exc), "", None
    return results.GRADER_ERROR, f"{type(exc).__name__}: {exc}", "", None


def _positive(value: Any, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"invalid {what} {value!r} from {where}: use a positive number")
    return float(value)


def _sentence(item: pytest.Item) -> str:
    """The test's name as a sentence: its docstring's first line, filled with its parameters."""
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    first = doc.strip().splitlines()[0] if doc.strip() else item.name.replace("_", " ")
    params = getattr(getattr(item, "callspec", None), "params", {})
    try:
        return first.format(**{key: _plain(value) for key, value in params.items()})
    except (KeyError, IndexError, ValueError):
        return first



def _plain(value: Any) -> str:
    return str(value).removeprefix("torch.")
