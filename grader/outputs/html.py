"""HTML primitives every page shares: escaped text, tables, links to a student's report.

Cells passed to :func:`table` are already HTML; every string from a submission goes through
:func:`esc`, which also shows control characters as escapes, as every other output does.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence

from grader.untrusted_text import escape_controls


def esc(text: object) -> str:
    """Text for HTML content or an attribute value (quotes included), its control characters
    shown as escapes as in every other output."""
    return html.escape(escape_controls(str(text)), quote=True)


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Sequence[int] = (),
    caption: str = "",
    row_ids: Sequence[str] = (),
) -> str:
    """A table of cells that are already HTML; `headers` are plain text; `row_ids`, where
    given, are the ids of the rows in order (ids the report made, never a submission's)."""
    head = "".join(f"<th{_num(i, numeric)}>{esc(h)}</th>" for i, h in enumerate(headers))
    ids = list(row_ids)
    body = "".join(
        f"<tr{_row_id(ids, r)}>"
        + "".join(f"<td{_num(i, numeric)}>{cell}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for r, row in enumerate(rows)
    )
    caption_html = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{caption_html}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _row_id(ids: Sequence[str], index: int) -> str:
    return f' id="{esc(ids[index])}"' if index < len(ids) else ""


def _num(index: int, numeric: Sequence[int]) -> str:
    return ' class="num"' if index in numeric else ""


def link(submission_id: str, anchors: Mapping[str, str]) -> str:
    """The id, linking to that student's report where the batch has one."""
    anchor = anchors.get(submission_id)
    return f'<a href="#{anchor}">{esc(submission_id)}</a>' if anchor else esc(submission_id)


def row_anchor(anchor: str) -> str:
    """The id of a student's row in the gradebook, from the id of the student's report."""
    return f"row-{anchor}"
