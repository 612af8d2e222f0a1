"""A markdown report (CI job summaries, course pages), rendered from a Standing.

An overridden question's points carry a mark and a line saying who set them and why; a late
penalty has its own line under the table. Student text is shown, never interpreted: no HTML,
links, code spans or table cells of its own.
"""

from __future__ import annotations

from grader import results
from grader.gradebook.standing import GradedBatch, Standing, graded_batch
from grader.outputs.adjustments import OVERRIDE_MARK, adjustment_lines, marked_points, points
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


def markdown_of(standing: Standing, *, detail: str = "full") -> str:
    """`detail`: full (tables and failing tests), questions (tables only), total (one line)."""
    result = standing.result
    lines = [
        f"## {_cell(result.assignment)} · {_cell(result.submission_id)}: "
        f"{points(standing.total)}/{points(standing.max_points)} points",
        "",
    ]
    adjustments = [f"- {_cell(line)}" for line in adjustment_lines(standing)]
    if result.problem:
        return "\n".join(lines + [_cell(result.problem), "", *adjustments, ""])
    if detail == "total":
        return "\n".join(lines + adjustments)
    lines += ["| question | points | status |", "|---|---:|---|"]
    for question in result.questions(list(standing.questions)):
        mark = STATUS_MARKS.get(question.status, "❌")
        shown = marked_points(standing, question.question).replace(OVERRIDE_MARK, "\\" + OVERRIDE_MARK)
        lines.append(
            f"| {_code(question.question)} | {shown}/{points(question.max_score)}"
            f" | {mark} {_cell(question.status)} |"
        )
    if adjustments:
        lines += [
            "",
            f"{_cell(OVERRIDE_MARK)} set by the instructor." if standing.overrides else "",
            *adjustments,
        ]
    failing = [
        t for t in result.tests if t.status not in (results.PASSED, results.NOT_RUN, results.NOT_ATTEMPTED)
    ]
    if detail == "full" and failing:
        lines += ["", "### Failing tests", ""]
        for test in failing:
            lines.append(
                f"- **{_cell(test.question)}** · {_cell(test.name)} ({_cell(test.status)})"
                + (f": {_cell(test.message)}" if test.message else "")
            )
    return "\n".join(lines) + "\n"


def markdown_batch(batch: GradedBatch) -> str:
    return "\n".join(markdown_of(standing) for standing in batch.standings)


def markdown_report(result: SubmissionResult, *, detail: str = "full") -> str:
    """The markdown of a result with no instructor adjustments (`grader ci`)."""
    return markdown_of(graded_batch([result]).standings[0], detail=detail)
