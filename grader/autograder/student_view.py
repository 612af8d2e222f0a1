"""What a student sees of a results.json on Gradescope, before or after the due date.

Gradescope shows a test whose visibility has come; the total only when every test that
carries points is shown; the top-level output always; the autograder's stdout never (unless
`stdout_visibility` says otherwise). The trial prints this, and the tests assert on it.
"""

from __future__ import annotations

from typing import Any

SHOWN_BEFORE = frozenset({"visible"})
SHOWN_AFTER = frozenset({"visible", "after_due_date"})


def shown_tests(document: dict[str, Any], *, after_due_date: bool) -> list[dict[str, Any]]:
    shown = SHOWN_AFTER if after_due_date else SHOWN_BEFORE
    default = document.get("visibility", "visible")
    return [t for t in document.get("tests", []) if t.get("visibility", default) in shown]


def total_shown(document: dict[str, Any], *, after_due_date: bool) -> bool:
    """Gradescope hides the total while a test with points is not shown."""
    shown = {id(t) for t in shown_tests(document, after_due_date=after_due_date)}
    return all(id(t) in shown or not t.get("max_score") for t in document.get("tests", []))


def student_view(document: dict[str, Any], *, after_due_date: bool) -> str:
    """The page, as text."""
    when = "after the due date" if after_due_date else "before the due date"
    tests = shown_tests(document, after_due_date=after_due_date)
    lines = [f"-- what the student sees {when} --"]
    if total_shown(document, after_due_date=after_due_date):
        maximum = sum(float(t.get("max_score") or 0) for t in document.get("tests", []))
        lines.append(f"total: {_points(document.get('score'))} / {maximum:g}")
    else:
        lines.append("total: hidden until every test is shown")
    lines.append(str(document.get("output", "")))
    for test in tests:
        lines.append(
            f"  {test.get('score')}/{test.get('max_score')}  {test.get('status', '')}  {test.get('name')}"
        )
        if test.get("output"):
            lines += [f"      {line}" for line in str(test["output"]).splitlines()[:6]]
    hidden = len(document.get("tests", [])) - len(tests)
    if hidden:
        lines.append(f"  ({hidden} tests not shown yet)")
    return "\n".join(lines)


def _points(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, (int, float)) else "-"
