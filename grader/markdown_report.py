"""A markdown report (CI job summaries, course pages), rendered from the result model.

Student text is shown, never interpreted: no HTML, links, code spans or table cells of its own.
"""

from __future__ import annotations

from grader import results
from grader.report import points
from grader.results import SubmissionResult
from grader.untrusted_text import for_markdown

STATUS_MARKS: dict[str, str] = {results.PASSED: "✅", results.NOT_ATTEMPTED: "⬜", results.NOT_RUN: "⏭️"}


def _cell(text: str) -> str:
    """Text for one line of markdown: a table cell or a list item."""
    return for_markdown(text).replace("\n", " ").replace("\t", " ")


def _code(text: str) -> str:
    """A name as a code span, unless it would break out of one."""
    inert = text.isprintable() and "`" not in text and "|" not in text
    return f"`{text}`" if inert else _cell(text)


def markdown_report(result: SubmissionResult, *, detail: str = "full") -> str:
    """`detail`: full (tables and failing tests), questions (tables only), total (one line)."""
    lines = [f"## {_cell(result.assignment)} · {_cell(result.submission_id)}: "
             f"{points(result.score)}/{points(result.max_score)} points", ""]
    if result.problem:
        return "\n".join(lines + [_cell(result.problem), ""])
    if detail == "total":
        return "\n".join(lines)
    lines += ["| question | points | status |", "|---|---:|---|"]
    for question in result.questions():
        mark = STATUS_MARKS.get(question.status, "❌")
        lines.append(f"| {_code(question.question)} | {points(question.score)}/{points(question.max_score)}"
                     f" | {mark} {_cell(question.status)} |")
    failing = [t for t in result.tests if t.status not in (results.PASSED, results.NOT_RUN,
                                                            results.NOT_ATTEMPTED)]
    if detail == "full" and failing:
        lines += ["", "### Failing tests", ""]
        for test in failing:
            lines.append(f"- **{_cell(test.question)}** · {_cell(test.name)} ({_cell(test.status)})"
                         + (f": {_cell(test.message)}" if test.message else ""))
    return "\n".join(lines) + "\n"
