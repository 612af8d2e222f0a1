"""How a test's ending becomes its verdict, and the rules that then apply to a submission's verdicts.

A verdict is read from the exception a test ended with, never from the wording of pytest's
report. Once every test of a submission has run, two rules may take points back: tampering in
any call of a question costs the whole question, and in `grader grade` a test on published
inputs earns its points only beside a passing test of its question on fresh ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import pytest

from grader import problems, results
from grader.course.assignment import Assignment
from grader.problems import Tampering
from grader.reference import StaleExpectations

TAMPERING = Tampering.misconception
LOSES_QUESTION = (problems.StudentTimedOut, problems.StudentCrashed, problems.MemoryLimitExceeded)
"""Endings that lose the rest of their question: its remaining tests fail without a new worker."""

PER_SUBMISSION_FIXTURES = frozenset({"seed", "private_seed", "heldout_seed", "heldout_start_seed"})
"""Fixtures whose values a student cannot have seen: a test that uses one is on fresh inputs."""
PUBLISHED_ONLY = (
    "passes only on the published example: {question} fails on fresh inputs "
    "(no test of it on inputs drawn for this submission passed), so this test "
    "earns no points"
)


@dataclass(frozen=True)
class Verdict:
    """How one test ended, as its report shows it."""

    status: str
    message: str = ""
    traceback: str = ""
    """The student's own frames, when student code raised."""
    misconception: str | None = None


def verdict_of(
    excinfo: pytest.ExceptionInfo[BaseException] | None, question: str, assignment: Assignment
) -> Verdict:
    """The verdict of a test of `question` that ended with `excinfo` (None: it passed), its
    mistake recognised from the error where the test named none. A code missing from the
    catalogue is the course's mistake, never the student's: a grader error that says so."""
    catalogue = assignment.misconceptions
    verdict = classify(excinfo)
    if verdict.misconception is None and verdict.status not in (results.PASSED, results.NOT_RUN):
        verdict = replace(verdict, misconception=catalogue.recognise_error(question, verdict.message))
    if verdict.misconception is not None and verdict.misconception not in catalogue:
        return Verdict(
            results.GRADER_ERROR,
            f"unknown misconception code {verdict.misconception!r}: it is not in "
            f"{assignment.name}'s misconceptions.toml",
        )
    return verdict


def classify(excinfo: pytest.ExceptionInfo[BaseException] | None) -> Verdict:
    """What the exception a test ended with says about the submission."""
    if excinfo is None:
        return Verdict(results.PASSED)
    exc = excinfo.value
    if isinstance(exc, problems.StudentProblem):
        return Verdict(exc.status, exc.message, exc.traceback, getattr(exc, "misconception", None))
    if isinstance(exc, problems.Mismatch):
        return Verdict(results.FAILED, exc.message, misconception=exc.misconception)
    if isinstance(exc, AssertionError):
        return Verdict(results.FAILED, str(exc).split("\nassert ")[0])
    if isinstance(exc, StaleExpectations):
        return Verdict(
            results.GRADER_ERROR,
            f"{exc}: the recorded expectations are stale; "
            "ask your instructor for the current assignment files",
        )
    if excinfo.errisinstance(pytest.skip.Exception):
        return Verdict(results.NOT_RUN, str(exc))
    return Verdict(results.GRADER_ERROR, f"{type(exc).__name__}: {exc}")


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


def fresh_input_tests(items: Iterable[pytest.Item]) -> set[str]:
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
                misconception=_fresh_mistake(tests, fresh, test.question),
            )


def _fresh_mistake(tests: list[results.GradedTest], fresh: set[str], question: str) -> str | None:
    """The first mistake a test of `question` on fresh inputs recognised, if any."""
    return next(
        (t.misconception for t in tests if t.nodeid in fresh and t.question == question and t.misconception),
        None,
    )
