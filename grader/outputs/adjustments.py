"""How every output words an instructor's adjustments: overrides and the late penalty.

One sentence per override and one for the penalty, shown beside the points and never folded
silently into them. The words come from the instructor, the question names from the
assignment; each format still escapes them for itself.
"""

from __future__ import annotations

from grader.gradebook.standing import Override, Standing

OVERRIDE_MARK = "*"
"""Beside a question's points wherever an override set them."""


def points(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def overrides_in_force(standing: Standing) -> list[Override]:
    """The override that sets each question's points, in the order of the questions."""
    found = (standing.override_of(q) for q in standing.questions)
    return [o for o in found if o is not None]


def marked_points(standing: Standing, question: str) -> str:
    """A question's points, with the override mark when an instructor set them."""
    mark = OVERRIDE_MARK if standing.override_of(question) is not None else ""
    return points(standing.points(question)) + mark


def override_line(standing: Standing, override: Override) -> str:
    return (
        f"{override.question}: {points(override.points)} points set by {override.by} "
        f"on {override.at} (the tests gave {points(standing.graded_points(override.question))}): "
        f"{override.reason}"
    )


def late_line(standing: Standing) -> str | None:
    if standing.late is None:
        return None
    return f"Late penalty: -{points(standing.penalty)} points ({standing.late.explanation})"


def adjustment_lines(standing: Standing) -> list[str]:
    """Every adjustment of one submission, one sentence each."""
    lines = [override_line(standing, o) for o in overrides_in_force(standing)]
    late = late_line(standing)
    return lines + ([late] if late else [])
