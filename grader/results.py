"""The one result model every output is rendered from: terminal, results.json, CSV.

Its text fields are bounded and their control characters escaped whenever they are set
(construction, loading an old gradebook, a later assignment), so no output has to trust them.
Identifiers (submission id, node id, question) are kept as given: they are keys, and each
output escapes them itself.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from grader import untrusted_text


class Status(StrEnum):
    """Every way a test can end: the report's status column, and results.json's."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_ATTEMPTED = "not attempted"
    NOT_RUN = "not run"
    GRADER_ERROR = "grader error"
    ERROR = "error"
    TIMED_OUT = "timed out"
    CRASHED = "crashed"
    MEMORY_LIMIT = "memory limit"
    IMPORT_FAILED = "import failed"


LIMITS = frozenset({Status.TIMED_OUT, Status.MEMORY_LIMIT, Status.CRASHED, Status.IMPORT_FAILED})
"""Statuses that say the submission hit one of its limits."""

PASSED, FAILED, NOT_ATTEMPTED = Status.PASSED, Status.FAILED, Status.NOT_ATTEMPTED
NOT_RUN, GRADER_ERROR = Status.NOT_RUN, Status.GRADER_ERROR


class Visibility(StrEnum):
    """Whom a test's result is for: every run (public tests), or `grader grade` (hidden)."""

    VISIBLE = "visible"
    HIDDEN = "hidden"


VISIBLE, HIDDEN = Visibility.VISIBLE, Visibility.HIDDEN


class Mode(StrEnum):
    """What a grading run is for: a student's check, an instructor's grade, or recording."""

    CHECK = "check"
    GRADE = "grade"
    RECORD = "record"


NOTES = 32


class _BoundedText:
    """Bounds the text fields named in ``_TEXT_LIMITS`` on every assignment."""

    _TEXT_LIMITS: ClassVar[dict[str, int]] = {}

    def __setattr__(self, name: str, value: Any) -> None:
        limit = self._TEXT_LIMITS.get(name)
        if limit is not None:
            value = _bound(value, limit)
        super().__setattr__(name, value)


def _bound(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return untrusted_text.bounded(value, limit)
    if isinstance(value, list):
        return untrusted_text.strings_from_worker(value, limit, NOTES)
    return value


@dataclass
class GradedTest(_BoundedText):
    """The outcome of one test on one submission."""

    _TEXT_LIMITS: ClassVar[dict[str, int]] = {
        "name": 4 * untrusted_text.NAME,
        "message": untrusted_text.MESSAGE,
        "traceback": untrusted_text.TRACEBACK,
        "misconception": untrusted_text.NAME,
    }

    name: str
    nodeid: str
    question: str
    visibility: str
    max_score: float
    score: float = 0.0
    status: str = NOT_RUN
    message: str = ""
    traceback: str = ""
    misconception: str | None = None
    seconds: float = 0.0
    after_lost: bool = False
    """Not run because an earlier test of its question lost it (a hang, crash or memory
    limit there): the status repeats that test's, but this one hit no limit itself."""

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradedTest:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


@dataclass
class QuestionScore:
    """One question's total across its tests."""

    question: str
    score: float
    max_score: float
    status: str


@dataclass
class SubmissionResult(_BoundedText):
    """Everything graded for one submission, in one mode (check or grade)."""

    _TEXT_LIMITS: ClassVar[dict[str, int]] = {
        "output": untrusted_text.OUTPUT,
        "problem": untrusted_text.MESSAGE,
        "notes": untrusted_text.MESSAGE,
    }

    submission_id: str
    assignment: str
    mode: str
    tests: list[GradedTest] = field(default_factory=list)
    output: str = ""
    execution_time: float = 0.0
    # Of execution_time, the part inside the student's code (as the worker measured it) and
    # inside the reference: the rest is the grader's own.
    student_seconds: float = 0.0
    reference_seconds: float = 0.0
    ungraded_hidden_points: float = 0.0
    # The submission's control group's own high-water mark, all its processes together
    # (None where it had no group: not sandboxed, or no cgroup could be made).
    peak_memory_mib: float | None = None
    problem: str = ""
    notes: list[str] = field(default_factory=list)
    leaderboard: list[dict[str, Any]] = field(default_factory=list)
    """Gradescope leaderboard entries (name, value, order) from passing public tests."""

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 6)

    @property
    def run_tests(self) -> list[GradedTest]:
        return [t for t in self.tests if t.status != NOT_RUN]

    @property
    def all_passed(self) -> bool:
        return all(t.passed for t in self.run_tests) and not self.problem

    def questions(self, order: list[str] | None = None) -> list[QuestionScore]:
        names = order or list(dict.fromkeys(t.question for t in self.tests))
        scores = []
        for name in names:
            tests = [t for t in self.tests if t.question == name]
            scores.append(
                QuestionScore(
                    name,
                    round(sum(t.score for t in tests), 6),
                    round(sum(t.max_score for t in tests), 6),
                    _question_status(tests),
                )
            )
        return scores

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tests"] = [t.to_dict() for t in self.tests]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SubmissionResult:
        fields = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        fields["tests"] = [GradedTest.from_dict(t) for t in data.get("tests", [])]
        return cls(**fields)


def _question_status(tests: list[GradedTest]) -> str:
    statuses = {t.status for t in tests if t.status != NOT_RUN}
    if not statuses:
        return NOT_RUN
    if statuses == {PASSED}:
        return PASSED
    if statuses == {NOT_ATTEMPTED}:
        return NOT_ATTEMPTED
    failing = [t.status for t in tests if t.status not in (PASSED, NOT_RUN)]
    return failing[0] if len(set(failing)) == 1 else FAILED
