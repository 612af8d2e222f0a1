"""results.json as Gradescope's autograder reads it, safe to show before the deadline.

Only fields of Gradescope's specification are written (the question and the recognised
mistake go in each test's `extra_data`). Hidden tests carry the visibility the zip was built
with (after_due_date by default) and say only how they ended: no inputs, no expected values,
no message or traceback, since a hidden test's message names the inputs drawn for it. The
top-level output, always visible, counts the public tests' points only; the total includes the
hidden points, and Gradescope hides a total while any test is hidden. What student code
printed is never put here: it goes to the autograder's stdout, which only instructors see.
"""

from __future__ import annotations

import json
from typing import Any

from grader import results
from grader.gradebook.standing import graded_batch
from grader.outputs.adjustments import points
from grader.outputs.gradescope import leaderboard_entries
from grader.results import GradedTest, SubmissionResult
from grader.untrusted_text import escape_controls

FAILURE_ADVICE = "Nothing was graded; ask your instructor to regrade this submission once it is fixed."


def results_document(result: SubmissionResult, *, hidden_visibility: str) -> dict[str, Any]:
    """The whole document for one graded submission."""
    standing = graded_batch([result]).standings[0]
    document: dict[str, Any] = {
        "score": round(standing.total, 6),
        "execution_time": round(result.execution_time, 3),
        "output": escape_controls(result.problem or _overall_output(result, hidden_visibility)),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [_test_entry(test, hidden_visibility) for test in result.tests],
    }
    if result.leaderboard:  # passing public tests' figures only (grader/leaderboard.py)
        document["leaderboard"] = leaderboard_entries(result)
    return document


def failure_document(line: str, execution_time: float = 0.0) -> dict[str, Any]:
    """A valid results.json for a submission the grader could not grade: zero, and why."""
    return {
        "score": 0.0,
        "execution_time": round(execution_time, 3),
        "output": escape_controls(
            f"The autograder could not grade this submission: {line}\n{FAILURE_ADVICE}"
        ),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }


def as_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def _test_entry(test: GradedTest, hidden_visibility: str) -> dict[str, Any]:
    hidden = test.visibility == results.HIDDEN
    return {
        "name": escape_controls(test.name),
        "score": test.score,
        "max_score": test.max_score,
        "status": "passed" if test.passed else "failed",
        "output": _hidden_output(test) if hidden else _public_output(test),
        "visibility": hidden_visibility if hidden else "visible",
        "extra_data": {"question": escape_controls(test.question), "misconception": test.misconception},
    }


def _public_output(test: GradedTest) -> str:
    if test.passed:
        return ""
    text = f"[{test.status}] {test.message}".strip()
    if test.traceback:
        text = f"{text}\n\n{test.traceback}"
    return escape_controls(text)


def _hidden_output(test: GradedTest) -> str:
    """How a hidden test ended, never what it was given or expected."""
    text = f"[{test.status}] hidden test of {test.question}"
    if test.misconception:
        text += f": recognised mistake {test.misconception}"
    return escape_controls(text)


WHEN_SHOWN = {
    "after_due_date": "they and your total show after the due date",
    "after_published": "they and your total show when your instructor publishes the grades",
    "hidden": "they count toward your grade but are not shown",
}


def _overall_output(result: SubmissionResult, hidden_visibility: str) -> str:
    public = [t for t in result.tests if t.visibility != results.HIDDEN]
    hidden = [t for t in result.tests if t.visibility == results.HIDDEN]
    earned = sum(t.score for t in public)
    possible = sum(t.max_score for t in public)
    text = f"Public tests: {points(earned)}/{points(possible)} points ({len(public)} tests)."
    if hidden:
        text += (
            f"\n{points(sum(t.max_score for t in hidden))} more points come from {len(hidden)} hidden "
            f"tests, on inputs drawn for you alone; {WHEN_SHOWN.get(hidden_visibility, WHEN_SHOWN['hidden'])}."
        )
    if result.notes:
        text += "\n" + "\n".join(result.notes)
    return text
