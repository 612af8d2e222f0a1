"""A markdown report (CI job summaries, course pages), rendered from the result model."""

from __future__ import annotations

from grader import results
from grader.report import points
from grader.results import SubmissionResult

STATUS_MARKS = {results.PASSED: "✅", results.NOT_ATTEMPTED: "⬜", results.NOT_RUN: "⏭️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_report(result: SubmissionResult, *, detail: str = "full") -> str:
    """`detail`: full (tables and failing tests), questions (tables only), total (one line)."""
    lines = [f"## {result.assignment} · {result.submission_id}: "
             f"{points(result.score)}/{points(result.max_score)} points", ""]
    if result.problem:
        return "\n".join(lines + [_cell(result.problem), ""])
    if detail == "total":
        return "\n".join(lines)
    lines += ["| question | points | status |", "|---|---:|---|"]
    for question in result.questions():
        mark = STATUS_MARKS.get(question.status, "❌")
        lines.append(f"| `{question.question}` | {points(question.score)}/{points(question.max_score)}"
                     f" | {mark} {question.status} |")
    failing = [t for t in result.tests if t.status not in (results.PASSED, results.NOT_RUN,
                                                            results.NOT_ATTEMPTED)]
    if detail == "full" and failing:
        lines += ["", "### Failing tests", ""]
        for test in failing:
            lines.append(f"- **{_cell(test.question)}** · {_cell(test.name)} ({test.status})"
                         + (f": {_cell(test.message)}" if test.message else ""))
    return "\n".join(lines) + "\n"
