"""Gradescope's autograder results format (results.json), rendered from the result model.

Outputs are declared plain text, so Gradescope renders no HTML or markdown a student wrote,
and every string has its control characters escaped.
"""

from __future__ import annotations

import json
from typing import Any

from grader import results
from grader.results import GradedTest, SubmissionResult
from grader.untrusted_text import escape_controls

GRADESCOPE_VISIBILITY: dict[str, str] = {results.VISIBLE: "visible", results.HIDDEN: "after_published"}


def results_json(result: SubmissionResult) -> str:
    """The whole results.json document for one submission."""
    document: dict[str, Any] = {
        "score": result.score,
        "execution_time": round(result.execution_time, 3),
        "output": escape_controls(result.problem or _overall_output(result)),
        "output_format": "text",
        "visibility": "visible",
        "tests": [_test_entry(test) for test in result.tests],
    }
    return json.dumps(document, indent=2) + "\n"


def _test_entry(test: GradedTest) -> dict[str, Any]:
    output = test.message if test.status != results.PASSED else ""
    if test.traceback:
        output = f"{output}\n\n{test.traceback}"
    return {
        "name": escape_controls(test.name),
        "score": test.score,
        "max_score": test.max_score,
        "status": "passed" if test.passed else "failed",
        "output": escape_controls(f"[{test.status}] {output}".strip() if output else ""),
        "visibility": GRADESCOPE_VISIBILITY.get(test.visibility, "visible"),
        "question": escape_controls(test.question),
        "misconception": test.misconception,
    }


def _overall_output(result: SubmissionResult) -> str:
    text = f"Graded {len(result.tests)} tests: {result.score:g}/{result.max_score:g} points."
    if result.output.strip():
        text += f"\n\nYour code printed:\n{result.output[:8192]}"
    return text
