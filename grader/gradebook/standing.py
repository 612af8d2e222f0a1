"""What a submission earns once the instructor's adjustments apply: the one definition of a total.

The tests give each question its graded points; an instructor's override replaces a
question's points; a late penalty is subtracted from the sum, shown on its own and never
folded silently into a question. Every output (terminal summary, results.json, CSV, Canvas,
Gradescope, JUnit, markdown, HTML) reads a submission's points from a :class:`Standing`,
so `grade`, `merge` and `export` cannot disagree about a total (:mod:`grader.gradebook.load`
reads all of it from an output folder's gradebook). Pure: nothing here reads a file.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from grader.course.late_policy import LatePenalty, LatePolicy
from grader.course.misconceptions import Catalogue
from grader.results import SubmissionResult


@dataclass(frozen=True)
class Override:
    """An instructor's points for one question of one submission, with who, when and why."""

    question: str
    points: float
    reason: str
    by: str
    at: str
    """When it was made, ISO 8601 in UTC."""


@dataclass(frozen=True)
class Standing:
    """One submission's points, question by question, after overrides and late penalty."""

    result: SubmissionResult
    questions: tuple[str, ...]
    max_points: float
    overrides: tuple[Override, ...] = ()
    late: LatePenalty | None = None
    versions: tuple[tuple[str, str], ...] = ()
    """(question, assignment version that graded it), as the gradebook recorded them."""

    @property
    def submission_id(self) -> str:
        return self.result.submission_id

    def version_of(self, question: str) -> str | None:
        """The assignment version that graded the question (None if not recorded)."""
        return dict(self.versions).get(question)

    def graded_points(self, question: str) -> float:
        """What the tests gave the question, before any override."""
        return round(sum(t.score for t in self.result.tests if t.question == question), 6)

    def override_of(self, question: str) -> Override | None:
        found = [o for o in self.overrides if o.question == question]
        return found[-1] if found else None

    def points(self, question: str) -> float:
        """The question's points as every output shows them: an override wins."""
        override = self.override_of(question)
        return override.points if override is not None else self.graded_points(question)

    @property
    def before_penalty(self) -> float:
        return round(sum(self.points(q) for q in self.questions), 6)

    @property
    def penalty(self) -> float:
        return self.late.points if self.late is not None else 0.0

    @property
    def total(self) -> float:
        """The submission's grade: never below zero."""
        return round(max(self.before_penalty - self.penalty, 0.0), 6)


@dataclass(frozen=True)
class GradedBatch:
    """A graded batch as every output renders it, with what they say of its assignment."""

    assignment: str
    questions: tuple[str, ...]
    max_points: float
    standings: tuple[Standing, ...]
    title: str = ""
    """The assignment's title ('' where its folder was not found: outputs show its name)."""
    catalogue: Catalogue = field(default_factory=Catalogue)
    """Its misconceptions (the grader's own codes alone where its folder was not found)."""

    def by_id(self) -> dict[str, Standing]:
        return {s.submission_id: s for s in self.standings}


def questions_in(results: Iterable[SubmissionResult]) -> tuple[str, ...]:
    """The questions graded in a batch, in the order their tests ran."""
    return tuple(dict.fromkeys(t.question for r in results for t in r.tests))


def graded_batch(
    results: Iterable[SubmissionResult],
    *,
    questions: Iterable[str] | None = None,
    max_points: float | None = None,
    overrides: Mapping[str, list[Override]] | None = None,
    late: Mapping[str, LatePenalty] | None = None,
    versions: Mapping[str, Mapping[str, str]] | None = None,
    title: str = "",
    catalogue: Catalogue | None = None,
) -> GradedBatch:
    """Standings for results, sorted by submission id; adjustments keyed by submission id;
    the assignment's title and catalogue, where known, for the outputs to show."""
    ordered = sorted(results, key=lambda r: r.submission_id)
    names = tuple(questions) if questions is not None else questions_in(ordered)
    most = max_points if max_points is not None else max((r.max_score for r in ordered), default=0.0)
    overrides, late, versions = overrides or {}, late or {}, versions or {}
    standings = tuple(
        Standing(
            r,
            names,
            most,
            tuple(overrides.get(r.submission_id, ())),
            late.get(r.submission_id),
            tuple(versions.get(r.submission_id, {}).items()),
        )
        for r in ordered
    )
    assignment = ordered[0].assignment if ordered else ""
    return GradedBatch(
        assignment, names, most, standings, title, catalogue if catalogue is not None else Catalogue()
    )


def late_penalties(
    policy: LatePolicy, submitted: Mapping[str, datetime.datetime], extensions: Mapping[str, float]
) -> dict[str, LatePenalty]:
    """Each late submission's penalty under the policy, by submission id."""
    found = {}
    for submission_id, when in submitted.items():
        penalty = policy.penalty(when, extensions.get(submission_id, 0.0))
        if penalty is not None:
            found[submission_id] = penalty
    return found
