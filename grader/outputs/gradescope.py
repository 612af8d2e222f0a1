"""Gradescope's autograder results format (results.json), rendered from a Standing.

`score` is the Standing's total, which Gradescope shows instead of the tests' sum; an
overridden question and a late penalty each get a line of the output and an entry in
`extra_data`, so the student sees why the score is not the tests' sum. Outputs are declared
plain text, so Gradescope renders no HTML or markdown a student wrote, and every string has
its control characters escaped.
"""

from __future__ import annotations

import json
from typing import Any

from grader import results
from grader.gradebook.standing import Standing, graded_batch
from grader.outputs.adjustments import adjustment_lines, overrides_in_force, points
from grader.results import GradedTest, SubmissionResult
from grader.untrusted_text import escape_controls

GRADESCOPE_VISIBILITY: dict[str, str] = {results.VISIBLE: "visible", results.HIDDEN: "after_published"}


def results_json_of(standing: Standing) -> str:
    """The whole results.json document for one submission."""
    result = standing.result
    document: dict[str, Any] = {
        "score": standing.total,
        "execution_time": round(result.execution_time, 3),
        "output": escape_controls(result.problem or _overall_output(standing)),
        "output_format": "text",
        "visibility": "visible",
        "tests": [_test_entry(test) for test in result.tests],
        "extra_data": _adjustments(standing),
    }
    if result.leaderboard:
        document["leaderboard"] = leaderboard_entries(result)
    return json.dumps(document, indent=2) + "\n"


def leaderboard_entries(result: SubmissionResult) -> list[dict[str, Any]]:
    """The result's leaderboard figures as Gradescope reads them (passing public tests' only:
    grader/leaderboard.py), names escaped as every other text."""
    return [
        {"name": escape_controls(str(entry["name"])), "value": entry["value"], "order": entry["order"]}
        for entry in result.leaderboard
    ]


def results_json(result: SubmissionResult) -> str:
    """results.json of a result with no instructor adjustments (written as it is graded)."""
    return results_json_of(graded_batch([result]).standings[0])


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


def _adjustments(standing: Standing) -> dict[str, Any]:
    return {
        "points_before_penalty": standing.before_penalty,
        "late_penalty": standing.penalty,
        "late": escape_controls(standing.late.explanation) if standing.late else None,
        "overrides": [
            {
                "question": escape_controls(o.question),
                "points": o.points,
                "graded_points": standing.graded_points(o.question),
                "reason": escape_controls(o.reason),
                "by": escape_controls(o.by),
                "at": escape_controls(o.at),
            }
            for o in overrides_in_force(standing)
        ],
    }


def _overall_output(standing: Standing) -> str:
    result = standing.result
    text = f"Graded {len(result.tests)} tests: {points(standing.total)}/{points(standing.max_points)} points."
    adjustments = adjustment_lines(standing)
    if adjustments:
        text += "\n" + "\n".join(adjustments)
    if result.output.strip():
        text += f"\n\nYour code printed:\n{result.output[:8192]}"
    return text
