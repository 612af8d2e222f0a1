"""The pytest plugin that turns an assignment's tests into a grade.

Markers say which question a test grades and how much it weighs (:mod:`grader.planned_test`);
the plugin gives every test its share of the question's points, provides the `student`,
`reference`, `given`, `checks` and seed fixtures (:mod:`grader.seeds`), and collects each
outcome's verdict (:mod:`grader.verdicts`) into :class:`grader.results.GradedTest`. It runs in
the trusted process: student code is only reached through the `student` fixture's worker.

Collection happens once per session; the plugin then runs the collected tests once per
submission it is handed (a :class:`~grader.submission_run.SubmissionRun`, see
:mod:`grader.session`), so a batch pays pytest's start-up once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from grader import results
from grader.course.assignment import Assignment, Limits
from grader.current_test import CurrentTest, running
from grader.errors import ConfigError
from grader.planned_test import MARKERS, PlannedTest, plan_test, shares_of_points
from grader.problems import Tampering
from grader.reference import (
    LiveReference,
    RecordedReference,
    RecordingReference,
    import_beside_given,
    import_private,
)
from grader.root_causes import name_root_causes
from grader.seeds import GLOBAL_DRAWS, TEST_DRAWS, Seeds
from grader.student import StudentProxy
from grader.submission_run import SubmissionRun
from grader.verdicts import (
    LOSES_QUESTION,
    Verdict,
    fresh_input_tests,
    hold_back_published_only,
    verdict_of,
    zero_tampered_questions,
)
from grader.worker.global_draws import seeded

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

    @property
    def seeds(self) -> Seeds:
        """The session's seeds: keyed with the secret in `grader grade` only."""
        return Seeds(self.assignment.name, self.seed_key if self.mode == results.Mode.GRADE else None)


class GradingPlugin:
    """Registered with ``pytest.main(..., plugins=[GradingPlugin(settings, next_run)])``.

    `next_run` hands over the next submission to grade, or None when the session should end.
    """

    def __init__(self, settings: GradingSettings, next_run: Callable[[], SubmissionRun | None]) -> None:
        self.settings = settings
        self._session_seeds = settings.seeds
        self._next_run = next_run
        self.run: SubmissionRun | None = None
        self.config_error: str = ""
        self.collection_errors: list[str] = []
        self._deferred: list[pytest.Item] = []

    # --- collection and points ------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        for signature, help_text in MARKERS.items():
            config.addinivalue_line("markers", f"{signature}: {help_text}")
        # Failures are described from the exception itself (grader.verdicts), never from
        # pytest's report text. Its default, long style reads and parses the source of every
        # frame: about 10 ms a failed test, an eighth of a wrong submission's grading.
        config.option.tbstyle = "line"

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        try:
            self._select(items)
        except ConfigError as exc:
            self.config_error = str(exc)
            items.clear()

    def _select(self, items: list[pytest.Item]) -> None:
        settings = self.settings
        selected: list[pytest.Item] = []
        deferred: list[pytest.Item] = []
        for item in items:
            plan = plan_test(item, settings.assignment, settings.hidden_tests)
            if settings.questions is not None and plan.question not in settings.questions:
                continue
            item.stash[PLAN_KEY] = plan
            (deferred if plan.slow and not settings.run_slow else selected).append(item)
        self._assign_points(selected + deferred)
        self._deferred = deferred
        # One question's tests run together, so each submission forks one child per question.
        order = {question: index for index, question in enumerate(settings.assignment.questions)}
        items[:] = sorted(selected, key=lambda item: order[item.stash[PLAN_KEY].question])

    def _assign_points(self, items: list[pytest.Item]) -> None:
        shares = shares_of_points(
            [item.stash[PLAN_KEY] for item in items],
            self.settings.assignment,
            questions=self.settings.questions,
            with_hidden=self.settings.hidden_tests is not None,
        )
        for item, share in zip(items, shares, strict=True):
            item.stash[SCORE_KEY] = share

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
            self._record(
                item, Verdict(results.NOT_RUN, "a slow test: run `grader check --slow` to include it")
            )
        items, lead = self._first_questions_first(items)
        for index, item in enumerate(items):
            nextitem = items[index + 1] if index + 1 < len(items) else None
            self._run_one(item, nextitem)
            if index + 1 == lead and self._current.control.on_first is not None:
                self._current.control.on_first(list(self._current.tests))
        if self.settings.mode == results.Mode.GRADE:
            hold_back_published_only(self._current.tests, fresh_input_tests(items))
        self._current.close()  # the last question ends first: what it records as it ends counts
        zero_tampered_questions(self._current.tests, self._current.late_tampering)
        name_root_causes(
            self._current.tests,
            self.settings.assignment.calls,
            self.settings.assignment.misconceptions.explain,
        )

    def _run_one(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """One test, its global generators seeded from its seed on every side (here for
        the test's own draws, the reference's stream, the student's process), its tolerance
        and the bounds it measures held for the author API's comparisons."""
        plan = item.stash[PLAN_KEY]
        seed = self._test_seed(item)
        if self.settings.live_reference is not None:
            self.settings.live_reference.begin_test(seed)
        test = CurrentTest(item.nodeid, plan.question, plan.rtol, plan.atol)
        with seeded(self._own_draws_seed(item)), running(test):
            item.ihook.pytest_runtest_protocol(item=item, nextitem=nextitem)
        self._current.bounds.extend(test.bounds)
        self._current.leaderboard.extend((item.nodeid, entry) for entry in test.leaderboard)

    def _test_seed(self, item: pytest.Item) -> int:
        """The seed of the test's global draws: keyed per submission where the test asks for
        `seed`, else published. A purpose of its own: student code reads it back
        (`torch.initial_seed()`), and it tells nothing of the test's `seed` or what a test
        draws from that."""
        if "seed" in getattr(item, "fixturenames", ()):
            return self._seed_of(item, GLOBAL_DRAWS)
        return self.seeds.published(item.nodeid, purpose=GLOBAL_DRAWS)

    def _own_draws_seed(self, item: pytest.Item) -> int:
        """The seed of the test's own global draws (a held-out set it keeps, say): student
        code reads back the seed its process was given (`torch.initial_seed()`) and would
        replay them from that one. Keyed per submission where the test asks for `seed`, else
        one for every submission (keyed in `grader grade`, public elsewhere, as recorded)."""
        if "seed" in getattr(item, "fixturenames", ()):
            return self._seed_of(item, TEST_DRAWS)
        return self.seeds.shared(item.nodeid, TEST_DRAWS)

    def _first_questions_first(self, items: list[pytest.Item]) -> tuple[list[pytest.Item], int]:
        """The items with the run's `first` questions' ahead (each question's still together),
        and how many those are; 0 when there is no earlier answer to give (none or all)."""
        first = self._current.control.first
        lead = sum(item.stash[PLAN_KEY].question in first for item in items)
        if lead in (0, len(items)):
            return items, 0
        return sorted(items, key=lambda item: item.stash[PLAN_KEY].question not in first), lead

    # --- outcomes ---------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
            verdict = verdict_of(call.excinfo, item.stash[PLAN_KEY].question, self.settings.assignment)
            self._remember_lost_question(item, call.excinfo)
            self._record(
                item,
                verdict,
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
        self, item: pytest.Item, verdict: Verdict, seconds: float = 0.0, *, after_lost: bool = False
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
                score=max_score if verdict.status == results.PASSED else 0.0,
                status=verdict.status,
                message=verdict.message,
                traceback=verdict.traceback,
                misconception=verdict.misconception,
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
            seed=self._test_seed(request.node),
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
        return import_beside_given(f"grader_given_{assignment.name}", assignment.stub_path, assignment)

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
        return self._per_submission_seed(request, "inputs")

    @pytest.fixture
    def private_seed(self, request: pytest.FixtureRequest) -> int:
        """A seed for what student code is never handed (held-out evaluation data): in
        `grader grade` keyed with the grader's secret, never arithmetic on `seed`."""
        return self._per_submission_seed(request, "private")

    @pytest.fixture
    def published_seed(self, request: pytest.FixtureRequest) -> int:
        """The public tests' shared seed, in every mode: for what a student may know (the
        data their own training draws), so that everyone's work is judged on one draw."""
        return self.seeds.published(request.node.nodeid)

    @pytest.fixture
    def heldout_seed(self, request: pytest.FixtureRequest) -> int:
        """A seed for held-out evaluation data, the same for every submission (a fair
        comparison), which in `grader grade` only the reference folder's key gives: nothing
        student code receives, and nothing in a release, derives it."""
        return self.seeds.shared(request.node.nodeid, "held-out")

    @pytest.fixture
    def heldout_start_seed(self, request: pytest.FixtureRequest) -> int:
        """A seed for a starting point student code is handed but could not know before it
        ran (a training function's initial parameters): the same for every submission, and in
        `grader grade` only the reference folder's key gives it. Its own key, so knowing the
        start (even its generator's seed) tells nothing of the held-out data."""
        return self.seeds.shared(request.node.nodeid, "held-out start")

    def _per_submission_seed(self, request: pytest.FixtureRequest, purpose: str) -> int:
        return self._seed_of(request.node, purpose)

    def _seed_of(self, item: pytest.Item, purpose: str) -> int:
        hidden = item.stash[PLAN_KEY].visibility == results.HIDDEN
        return self.seeds.per_submission(
            item.nodeid, self._current.submission_id, hidden=hidden, purpose=purpose
        )

    @property
    def seeds(self) -> Seeds:
        """The seeds of the run under way: the session's, salted where the run says."""
        return self._session_seeds.salted(self._current.seed_salt)

    @property
    def _current(self) -> SubmissionRun:
        assert self.run is not None, "tests run only while a submission is being graded"
        return self.run


def forget_test_modules(folders: list[Path]) -> None:
    """Drop imported test modules, so another assignment's `tests/test_public.py` is not
    mistaken for this one's when both are collected in one process (pytest's importlib mode
    reuses a module of the same name)."""
    prefixes = tuple(os.path.join(os.path.normpath(folder), "") for folder in folders)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if isinstance(file, str) and os.path.normpath(file).startswith(prefixes):
            del sys.modules[name]
