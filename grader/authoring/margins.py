"""`grader validate --draws N`: how close the reference comes to each bound a test sets.

A learning test's bound (``expect_at_most(after / before, 0.5, what=...)``) is calibrated on
the draws its author tried; on another key's inputs the reference itself may not reach it,
and then a correct submission fails. Validate grades the reference again on N other draws
(the seed key salted per draw), only the questions whose tests set a bound, and reports per
bound the reference's worst value and its margin, warning where it is thin.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.course.assignment import Assignment
from grader.current_test import Bound
from grader.errors import GraderError
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.sandbox.bubblewrap import Sandbox

DEFAULT_DRAWS = 3
THIN_MARGIN = 0.10
"""Under this share of the bound, a correct submission is likely to fail on some draw."""


@dataclass(frozen=True)
class Margin:
    """The reference's closest approach to one bound over every draw."""

    question: str
    test: str
    what: str
    worst: float
    bound: float
    draws: int

    @property
    def share(self) -> float:
        """How far below the bound the worst value stayed, as a share of the bound."""
        if not self.bound:
            return float("inf") if self.worst <= 0 else float("-inf")
        return (self.bound - self.worst) / abs(self.bound)

    def __str__(self) -> str:
        line = (
            f"{self.question} [{self.test}]: {self.what}: the reference reaches {self.worst:.3g} "
            f"at worst over {self.draws} draws, bound {self.bound:.3g}, margin {self.share:.0%}"
        )
        if self.share < THIN_MARGIN:
            line += f"; warning: under {THIN_MARGIN:.0%}, a correct submission may fail on some inputs"
        return line


def margins(bounds: list[Bound]) -> list[Margin]:
    """Per test and bounded value, the draw where the reference came closest to its bound."""
    seen: dict[tuple[str, str], list[Bound]] = {}
    for bound in bounds:
        seen.setdefault((bound.nodeid, bound.what), []).append(bound)
    found = []
    for (nodeid, what), draws in seen.items():
        each = [Margin(b.question, nodeid.split("::")[-1], what, b.value, b.bound, len(draws)) for b in draws]
        found.append(min(each, key=lambda margin: margin.share))
    return found


def reference_margins(
    assignment: Assignment,
    reference_dir: Path,
    bounds: list[Bound],
    draws: int,
    sandboxed: bool,
) -> list[Margin]:
    """The margins of the bounds the reference's grading measured (`bounds`), over it and
    `draws` more gradings on other inputs; nothing to do where no test set a bound."""
    if not bounds or draws <= 0:
        return margins(bounds)
    sandbox = None
    if sandboxed:
        try:
            sandbox = Sandbox.require(assignment)
        except GraderError:
            sandbox = None
    options = GradingOptions(
        mode=GRADE,
        reference_dir=reference_dir,
        run_slow=True,
        sandbox=sandbox,
        questions=frozenset(b.question for b in bounds),
    )
    measured = list(bounds)
    solution = (reference_dir / assignment.file_name).read_text()
    with (
        tempfile.TemporaryDirectory(prefix="grader-draws-") as scratch,
        Grader(assignment, options) as grader,
    ):
        for draw in range(1, draws + 1):
            folder = Path(scratch) / f"draw-{draw}"
            folder.mkdir()
            (folder / assignment.file_name).write_text(solution)
            grader.grade(Submission.at(folder), seed_salt=f"validate draw {draw}", bounds=measured)
    return margins(measured)


def report_margins(found: list[Margin], report: Callable[[str], None]) -> None:
    for margin in found:
        report(str(margin))
