"""The pytest plugin that turns an assignment's tests into a grade.

Markers say which question a test grades and how much it weighs; the plugin gives every test
its share of the question's points, provides the `student`, `reference`, `given`, `seed` and
`private_seed` fixtures, and collects each outcome into :class:`grader.results.GradedTest`.
It runs in the trusted process: student code is only reached through the `student` fixture's
worker.

Collection happens once per session; the plugin then runs the collected tests once per
submission it is handed (see :mod:`grader.session`), so a batch pays pytest's start-up once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from grader import problems, results
from grader.course.assignment import Assignment, Limits
from grader.errors import ConfigError
from grader.problems import Tampering
from grader.reference import (
    LiveReference,
    RecordedReference,
    RecordingReference,
    StaleExpectations,
    import_private,
)
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


TAMPERING = Tampering.misconception
LOSES_QUESTION = (problems.StudentTimedOut, problems.StudentCrashed, problems.MemoryLimitExceeded)

PLAN_KEY = pytest.StashKey[PlannedTest]()
SCORE_KEY = pytest.StashKey[float]()


@dataclass(frozen=True)
class GradingSettings:
    """What stays the same for every submission of a session: assignment, mode, reference."""

    assignment: Assignment
    mode: results.Mode
    hidden_tests: Path | None = None
    live_reference: LiveReference | None = None
    expectations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    run_slow: bool = False
    questions: frozenset[str] | None = None
    limits: Limits = field(default_factory=Limits)
    seed_key: bytes | None = None  # grade: the secret every seed is keyed with

    def __post_init__(self) -> None:
        if self.mode == results.Mode.GRADE and not self.seed_key:
            raise ValueError(
                "grading needs the secret seed key: without it, anyone could "
                "compute every submission's inputs from the public code"
            )


@dataclass
class SubmissionRun:
    """One submission's pass through the collected tests, and everything it produced."""

    submission_id: str
    make_pool: Callable[[], WorkerPool]
    tests: list[results.GradedTest] = field(default_factory=list)
    recorded: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lost_questions: dict[str, problems.StudentProblem] = field(default_factory=dict)
    static_tampering: dict[str, list[str]] = field(default_factory=dict)
    error: BaseException | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    _pool: WorkerPool | None = None

    def pool(self) -> WorkerPool:
        """This submission's session with the worker, made on first use."""
        if self._pool is None:
            self._pool = self.make_pool()
        return self._pool

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


class GradingPlugin:
    """Registered with ``pytest.main(..., plugins=[GradingPlugin(settings, next_run)])``.

    `next_run` hands over the next submission to grade, or None when the session should end.
    """

    def __init__(self, settings: GradingSettings, next_run: Callable[[], SubmissionRun | None]) -> None:
        self.settings = settings
        self._next_run = next_run
        self.run: SubmissionRun | None = None
        self.config_error: str = ""
        self.collection_errors: list[str] = []
        self._deferred: list[pytest.Item] = []

    # --- collection and points ------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        for signature, help_text in MARKERS.items():
            config.addinivalue_line("markers", f"{signature}: {help_text}")
        # Failures are described from the exception itself (_classify), never from pytest's
        # report text. Its default, long style reads and parses the source of every frame:
        # about 10 ms a failed test, an eighth of a wrong submission's grading. One line will do.
        config.option.tbstyle = "line"

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        try:
            self._select(items)
        except ConfigError as exc:
            self.config_error = str(exc)
            items.clear()

    def _select(self, items: list[pytest.Item]) -> None:
        selected, deferred = [], []
        for item in items:
            plan = self._plan(item)
            if self.settings.questions is not None and plan.question not in self.settings.questions:
                continue
            item.stash[PLAN_KEY] = plan
            (deferred if plan.slow and not self.settings.run_slow else selected).append(item)
        self._assign_points(selected + deferred)
        self._deferred = deferred
        # One question's tests run together, so each submission forks one child per question.
        order = {question: index for index, question in enumerate(self.settings.assignment.questions)}
        items[:] = sorted(selected, key=lambda item: order[item.stash[PLAN_KEY].question])

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # The items keep their modules; sys.modules must not, for the next session's sake.
        forget_test_modules([Path(str(arg)).resolve() for arg in session.config.args])

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext}")

    # --- running the collected tests once per submission -----------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if self.config_error or self.collection_errors:
            return True
        while (run := self._next_run()) is not None:
            self.run = run
            try:
                self._run_items(session.items)
            except Exception as exc:  # noqa: BLE001 - handed to the caller waiting for this run
                run.error = exc
            finally:
                run.close()
                run.finished.set()
        return True

    def _run_items(self, items: list[pytest.Item]) -> None:
        """Every collected test against the current submission, then a full teardown."""
        for item in self._deferred:
            self._record(item, results.NOT_RUN, "a slow test: run `grader check --slow` to include it")
        for index, item in enumerate(items):
            nextitem = items[index + 1] if index + 1 < len(items) else None
            item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        if self.settings.mode == results.Mode.GRADE:
            hold_back_published_only(self._current.tests, fresh_input_tests(items))
        self._current.close()  # the last question ends first: what it records as it ends counts
        zero_tampered_questions(self._current.tests, self._current.late_tampering)
        name_root_causes(
            self._current.tests,
            self.settings.assignment.calls,
            self.settings.assignment.misconceptions.explain,
        )

    def _plan(self, item: pytest.Item) -> PlannedTest:
        where = f"the markers on {item.nodeid}"
        marker = item.get_closest_marker("question")
        if marker is None or len(marker.args) != 1:
            raise ConfigError(f"missing @pytest.mark.question(name) on {item.nodeid}")
        question = marker.args[0]
        if question not in self.settings.assignment.questions:
            raise ConfigError(
                f"unknown question {question!r} from {where}: add it to assignment.toml or fix the marker"
            )
        weight_marker = item.get_closest_marker("weight")
        weight = _positive(weight_marker.args[0] if weight_marker else 1, "weight", where)
        timeout_marker = item.get_closest_marker("timeout")
        timeout = _positive(timeout_marker.args[0], "timeout", where) if timeout_marker else None
        hidden = self.settings.hidden_tests is not None and Path(str(item.path)).is_relative_to(
            self.settings.hidden_tests
        )
        return PlannedTest(
            question,
            weight,
            timeout,
            results.HIDDEN if hidden else results.VISIBLE,
            item.get_closest_marker("slow") is not None,
            _sentence(item),
        )

    def _assign_points(self, items: list[pytest.Item]) -> None:
        weights: dict[tuple[str, str], float] = {}
        for item in items:
            plan = item.stash[PLAN_KEY]
            key = (plan.question, plan.visibility)
            weights[key] = weights.get(key, 0.0) + plan.weight
        for item in items:
            plan = item.stash[PLAN_KEY]
            points = self.settings.assignment.questions[plan.question]
            share = points.hidden if plan.visibility == results.HIDDEN else points.public
            item.stash[SCORE_KEY] = share * plan.weight / weights[(plan.question, plan.visibility)]
        self._check_every_share_has_tests(weights)

    def _check_every_share_has_tests(self, weights: dict[tuple[str, str], float]) -> None:
        for question, points in self.settings.assignment.questions.items():
            if self.settings.questions is not None and question not in self.settings.questions:
                continue
            shares = [(results.VISIBLE, points.public)]
            if self.settings.hidden_tests is not None:
                shares.append((results.HIDDEN, points.hidden))
            for visibility, share in shares:
                if share > 0 and (question, visibility) not in weights:
                    raise ConfigError(
                        f"{question} has {share:g} {visibility} points in "
                        "assignment.toml but no test for them"
                    )

    # --- outcomes ---------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[Any]:
        report = yield
        if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
            status, message, trace, misconception = _classify(call.excinfo)
            if misconception is None and status not in (results.PASSED, results.NOT_RUN):
                misconception = self.settings.assignment.misconceptions.recognise_error(
                    item.stash[PLAN_KEY].question, message
                )
            if misconception is not None and misconception not in self.settings.assignment.misconceptions:
                status, trace = results.GRADER_ERROR, ""
                message = (
                    f"unknown misconception code {misconception!r}: it is not in "
                    f"{self.settings.assignment.name}'s misconceptions.toml"
                )
                misconception = None
            self._remember_lost_question(item, call.excinfo)
            self._record(
                item,
                status,
                message,
                trace,
                misconception,
                call.duration,
                after_lost=getattr(call.excinfo and call.excinfo.value, "after_lost", False),
            )
        return report

    def _remember_lost_question(
        self, item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException] | None
    ) -> None:
        """A hang or crash loses its question: its remaining tests fail without a new worker."""
        if excinfo is not None and isinstance(excinfo.value, LOSES_QUESTION):
            question = item.stash[PLAN_KEY].question
            self._current.lost_questions.setdefault(question, excinfo.value)

    def _record(
        self,
        item: pytest.Item,
        status: str,
        message: str,
        traceback: str = "",
        misconception: str | None = None,
        seconds: float = 0.0,
        *,
        after_lost: bool = False,
    ) -> None:
        plan = item.stash[PLAN_KEY]
        max_score = item.stash[SCORE_KEY]
        self._current.tests.append(
            results.GradedTest(
                name=plan.name,
                nodeid=item.nodeid,
                question=plan.question,
                visibility=plan.visibility,
                max_score=max_score,
                score=max_score if status == results.PASSED else 0.0,
                status=status,
                message=message,
                traceback=traceback,
                misconception=misconception,
                seconds=round(seconds, 4),
                after_lost=after_lost,
            )
        )

    # --- fixtures ---------------------------------------------------------------------------

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> StudentProxy:
        """The submission, reached only through its worker."""
        pool = self._current.pool()
        plan = request.node.stash[PLAN_KEY]
        lost = self._current.lost_questions.get(plan.question)
        if lost is not None:
            raise type(lost)(
                f"not run: {lost.message} in an earlier test of {plan.question}", after_lost=True
            )
        doors = self._current.static_tampering.get(plan.question)
        if doors:
            raise Tampering(
                f"the code {plan.question} runs uses {', '.join(doors)}, which "
                "reach into the grader's code: this question scores zero"
            )
        limits = self.settings.limits
        return StudentProxy(
            pool,
            question=plan.question,
            call_seconds=plan.timeout or limits.call_seconds,
            memory_mib=limits.memory_mib,
            forbidden_advice=self.settings.assignment.forbidden.advice,
        )

    @pytest.fixture
    def reference(self, request: pytest.FixtureRequest) -> Any:
        """Expected values: in `grader grade` always live from the solution (recorded answers
        are in every student's release); recorded for the public tests in `grader check`."""
        nodeid = request.node.nodeid
        if self.settings.mode == results.Mode.RECORD:
            assert self.settings.live_reference is not None
            return RecordingReference(
                self.settings.live_reference, self._current.recorded.setdefault(nodeid, [])
            )
        if self.settings.mode == results.Mode.GRADE:
            assert self.settings.live_reference is not None, "grading needs the reference"
            return self.settings.live_reference
        return RecordedReference(nodeid, self.settings.expectations.get(nodeid))

    @pytest.fixture
    def given(self) -> ModuleType:
        """The helpers given in the stub, loaded from the instructor's pristine copy."""
        assignment = self.settings.assignment
        return import_private(f"grader_given_{assignment.name}", assignment.stub_path)

    @pytest.fixture
    def checks(self) -> ModuleType:
        """The assignment's shared comparisons (checks.py in its folder)."""
        assignment = self.settings.assignment
        return import_private(f"grader_checks_{assignment.name}", assignment.folder / "checks.py")

    @pytest.fixture
    def seed(self, request: pytest.FixtureRequest) -> int:
        """The seed of the inputs a test sends: in `grader grade` every test's own per
        submission, keyed with the grader's secret; elsewhere the public tests' shared one,
        which their recorded expectations were made with."""
        return self._seed_of(request, "inputs")

    @pytest.fixture
    def private_seed(self, request: pytest.FixtureRequest) -> int:
        """A seed for what student code is never handed (held-out evaluation data): in
        `grader grade` keyed with the grader's secret, never arithmetic on `seed`."""
        return self._seed_of(request, "private")

    @pytest.fixture
    def published_seed(self, request: pytest.FixtureRequest) -> int:
        """The public tests' shared seed, in every mode: for what a student may know (the
        data their own training draws), so that everyone's work is judged on one draw."""
        return seed_for(self.settings.assignment.name, request.node.nodeid, None)

    @pytest.fixture
    def heldout_seed(self, request: pytest.FixtureRequest) -> int:
        """A seed for held-out evaluation data, the same for every submission (a fair
        comparison), which in `grader grade` only the reference folder's key gives: nothing
        student code receives, and nothing in a release, derives it."""
        return self._course_seed(request, "held-out")

    @pytest.fixture
    def heldout_start_seed(self, request: pytest.FixtureRequest) -> int:
        """A seed for a starting point student code is handed but could not know before it
        ran (a training function's initial parameters): the same for every submission, and in
        `grader grade` only the reference folder's key gives it. Its own key, so knowing the
        start (even its generator's seed) tells nothing of the held-out data."""
        return self._course_seed(request, "held-out start")

    def _course_seed(self, request: pytest.FixtureRequest, purpose: str) -> int:
        """One seed for every submission, keyed in `grader grade` (public elsewhere)."""
        key = self.settings.seed_key if self.settings.mode == results.Mode.GRADE else None
        return seed_for(self.settings.assignment.name, request.node.nodeid, None, key=key, purpose=purpose)

    def _seed_of(self, request: pytest.FixtureRequest, purpose: str) -> int:
        nodeid, name = request.node.nodeid, self.settings.assignment.name
        submission_id = self._current.submission_id
        if self.settings.mode == results.Mode.GRADE:
            return seed_for(name, nodeid, submission_id, key=self.settings.seed_key, purpose=purpose)
        hidden = request.node.stash[PLAN_KEY].visibility == results.HIDDEN
        return seed_for(name, nodeid, submission_id if hidden else None, purpose=purpose)

    @property
    def _current(self) -> SubmissionRun:
        assert self.run is not None, "tests run only while a submission is being graded"
        return self.run


def zero_tampered_questions(tests: list[results.GradedTest], late: dict[str, str] | None = None) -> None:
    """Tampering in any call of a question costs the whole question, the tests it passed
    before the tampering was seen included: their answers came from the same process.
    `late` holds what was recorded after a question's last reply, as it ended."""
    tampered = {**(late or {}), **{t.question: t.message for t in tests if t.misconception == TAMPERING}}
    for index, test in enumerate(tests):
        if test.question in tampered and test.misconception != TAMPERING:
            tests[index] = replace(
                test,
                score=0.0,
                status=results.FAILED,
                misconception=TAMPERING,
                message=f"not counted: {tampered[test.question]}",
            )


ROOT_CAUSE = (
    "{message}. The cause may be in a function {question} calls: your {callee} "
    "shows a recognised mistake, {title} ({code})"
)
NO_ROOT_CAUSE = (results.PASSED, results.NOT_RUN, results.NOT_ATTEMPTED, results.GRADER_ERROR)


def name_root_causes(
    tests: list[results.GradedTest], calls: dict[str, tuple[str, ...]], explain: Callable[[str], Any]
) -> None:
    """A failing test of a question that calls functions the student wrote (assignment.toml's
    [calls]) names a recognised mistake in one of them: the function where it starts (no
    function that one calls in turn shows the same code). A test that carries no code is given
    that one; a test that carries a code is told where that same code starts, if a callee shows
    it; a test with a code no callee shows is left alone. Tampering is never passed on: it is
    about one question's process, and zeroes it whatever the cause."""
    shown = mistakes_by_question(tests)
    for index, test in enumerate(tests):
        if test.misconception == TAMPERING or test.status in NO_ROOT_CAUSE:
            continue
        cause = root_cause(test.question, calls, shown, test.misconception)
        if cause is None:
            continue
        callee, code = cause
        entry = explain(code)
        tests[index] = replace(
            test,
            misconception=code,
            message=ROOT_CAUSE.format(
                message=test.message.rstrip(". "),
                question=test.question,
                callee=callee,
                title=entry.title if entry is not None else code,
                code=code,
            ),
        )


def mistakes_by_question(tests: list[results.GradedTest]) -> dict[str, str]:
    """Each question's recognised mistake: the code most of its failing tests carry."""
    counts: dict[str, dict[str, int]] = {}
    for test in tests:
        if (
            test.misconception
            and test.misconception != TAMPERING
            and not test.passed
            and test.status != results.NOT_RUN
        ):
            codes = counts.setdefault(test.question, {})
            codes[test.misconception] = codes.get(test.misconception, 0) + 1
    return {question: max(codes, key=codes.__getitem__) for question, codes in counts.items()}


def root_cause(
    question: str, calls: dict[str, tuple[str, ...]], shown: dict[str, str], wanted: str | None = None
) -> tuple[str, str] | None:
    """(callee, code): the first function `question` calls, directly or not, that shows a
    mistake (`wanted`, if given) none of the functions it calls in turn shows too."""
    for callee in reachable(question, calls):
        code = shown.get(callee)
        if (
            code
            and wanted in (None, code)
            and not any(shown.get(deeper) == code for deeper in reachable(callee, calls))
        ):
            return callee, code
    return None


def reachable(question: str, calls: dict[str, tuple[str, ...]]) -> list[str]:
    """The functions `question` calls, directly first, then theirs (each once, never itself)."""
    order: list[str] = []
    queue = list(calls.get(question, ()))
    while queue:
        callee = queue.pop(0)
        if callee != question and callee not in order:
            order.append(callee)
            queue.extend(calls.get(callee, ()))
    return order


def seed_for(
    assignment: str,
    nodeid: str,
    submission_id: str | None,
    *,
    key: bytes | None = None,
    purpose: str = "inputs",
) -> int:
    """A test's seed, the same at every re-grade. Without a key (`grader check`, `record`):
    one for everyone in public tests (no submission id), each submission's own in hidden ones.
    With the grader's secret key (`grader grade`): an HMAC, which nobody without the key can
    compute from the public code and their own id."""
    who = "public" if submission_id is None else submission_id
    if key is not None:
        text = json.dumps([assignment, nodeid, who, purpose])
        digest = hmac.new(key, text.encode(), hashlib.sha256).digest()
    else:
        text = f"{assignment}/{nodeid}/{who}" + ("" if purpose == "inputs" else f"/{purpose}")
        digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:6], "big")


PER_SUBMISSION_FIXTURES = frozenset({"seed", "private_seed", "heldout_seed", "heldout_start_seed"})
"""Fixtures whose values a student cannot have seen: a test that uses one is on fresh inputs."""
PUBLISHED_ONLY = (
    "passes only on the published example: {question} fails on fresh inputs "
    "(no test of it on inputs drawn for this submission passed), so this test "
    "earns no points"
)


def fresh_input_tests(items: list[pytest.Item]) -> set[str]:
    """The node ids of the tests whose inputs are drawn per submission in `grader grade`."""
    return {item.nodeid for item in items if PER_SUBMISSION_FIXTURES & set(getattr(item, "fixturenames", ()))}


def hold_back_published_only(tests: list[results.GradedTest], fresh: set[str]) -> None:
    """A test on fixed, published inputs earns its points only if a test of its question on
    fresh inputs passed too: answers looked up from the release earn nothing."""
    proven = {t.question for t in tests if t.nodeid in fresh and t.passed}
    for index, test in enumerate(tests):
        if test.passed and test.nodeid not in fresh and test.question not in proven:
            tests[index] = replace(
                test,
                status=results.FAILED,
                score=0.0,
                message=PUBLISHED_ONLY.format(question=test.question),
                misconception=next(
                    (
                        t.misconception
                        for t in tests
                        if t.nodeid in fresh and t.question == test.question and t.misconception
                    ),
                    None,
                ),
            )


def forget_test_modules(folders: list[Path]) -> None:
    """Drop imported test modules, so another assignment's `tests/test_public.py` is not
    mistaken for this one's when both are collected in one process (pytest's importlib mode
    reuses a module of the same name)."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and any(Path(file).is_relative_to(folder) for folder in folders):
            del sys.modules[name]


def _classify(excinfo: pytest.ExceptionInfo[BaseException] | None) -> tuple[str, str, str, str | None]:
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
        return (
            results.GRADER_ERROR,
            f"{exc}: the recorded expectations are stale; "
            "ask your instructor for the current assignment files",
            "",
            None,
        )
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
