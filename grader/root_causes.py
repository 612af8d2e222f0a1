"""Where a failing test's mistake starts: in a function its question calls.

A question may call functions the student also wrote (assignment.toml's [calls]). When one of
them shows a recognised mistake, the tests of the caller fail for the same reason; each such
test is told the function where the mistake starts, so the student fixes it once, there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from grader import results
from grader.course.misconceptions import Misconception
from grader.verdicts import TAMPERING

ROOT_CAUSE = (
    "{message}. The cause may be in a function {question} calls: your {callee} "
    "shows a recognised mistake, {title} ({code})"
)
NO_ROOT_CAUSE = (results.PASSED, results.NOT_RUN, results.NOT_ATTEMPTED, results.GRADER_ERROR)


def name_root_causes(
    tests: list[results.GradedTest],
    calls: dict[str, tuple[str, ...]],
    explain: Callable[[str], Misconception | None],
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
