"""The figures an instructor reads after a batch, computed once for the terminal and the HTML.

Everything is computed from a :class:`GradedBatch`: totals and question points from each
:class:`Standing` (so an override or a late penalty moves the figures too), test outcomes and
recognised mistakes from the results the tests gave.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from grader import results
from grader.gradebook.standing import GradedBatch, Standing
from grader.results import LIMITS, GradedTest

BINS = 10
FULL = 1e-6


@dataclass(frozen=True)
class QuestionFigures:
    """One question across the class: each submission's points, their mean and how many got
    them all, and the tests failed most often (name, how many submissions failed it)."""

    question: str
    max_points: float
    points: tuple[float, ...]
    most_failed: tuple[tuple[str, int], ...]

    @property
    def mean(self) -> float:
        return sum(self.points) / len(self.points) if self.points else 0.0

    @property
    def full_share(self) -> float:
        if not self.points:
            return 0.0
        return sum(p >= self.max_points - FULL for p in self.points) / len(self.points)


@dataclass(frozen=True)
class Mistake:
    """A recognised mistake in one question: how many submissions made it, the points their
    tests carrying its code lost, and who (for the instructor's follow-up)."""

    question: str
    code: str
    submissions: tuple[str, ...]
    points_lost: float


@dataclass(frozen=True)
class LimitHit:
    submission_id: str
    question: str
    status: str


def failed(test: GradedTest) -> bool:
    return test.status not in (results.PASSED, results.NOT_RUN)


def share(standing: Standing) -> float:
    """The total as a share of the most a submission can earn."""
    return standing.total / standing.max_points if standing.max_points else 0.0


def distribution(batch: GradedBatch, bins: int = BINS) -> list[int]:
    """How many totals fall in each tenth of the maximum (a full score in the last)."""
    counts = [0] * bins
    for standing in batch.standings:
        counts[min(max(int(share(standing) * bins), 0), bins - 1)] += 1
    return counts


def question_max(batch: GradedBatch, question: str) -> float:
    """A question's points as its tests carry them (the largest any submission saw)."""
    return max(
        (
            round(sum(t.max_score for t in s.result.tests if t.question == question), 6)
            for s in batch.standings
        ),
        default=0.0,
    )


def per_question(batch: GradedBatch, shown_tests: int = 3) -> list[QuestionFigures]:
    """Every question some submission was graded on (a zero row's empty results do not count)."""
    figures = []
    for question in batch.questions:
        graded = [s for s in batch.standings if any(t.question == question for t in s.result.tests)]
        if not graded:
            continue
        failing: Counter[str] = Counter()
        names: dict[str, str] = {}
        for standing in graded:
            for test in standing.result.tests:
                if test.question == question and failed(test):
                    failing[test.nodeid] += 1
                    names.setdefault(test.nodeid, test.name)
        most = tuple((names[nodeid], count) for nodeid, count in failing.most_common(shown_tests))
        figures.append(
            QuestionFigures(
                question, question_max(batch, question), tuple(s.points(question) for s in graded), most
            )
        )
    return figures


def mistakes(batch: GradedBatch) -> list[Mistake]:
    """Each (question, code) pair the class showed, ranked by the points it cost: the lecture
    plan. A question whose points an instructor overrode still counts what its tests saw."""
    who: dict[tuple[str, str], set[str]] = defaultdict(set)
    lost: dict[tuple[str, str], float] = defaultdict(float)
    for standing in batch.standings:
        for test in standing.result.tests:
            if test.misconception and failed(test):
                key = (test.question, test.misconception)
                who[key].add(standing.submission_id)
                lost[key] += test.max_score - test.score
    found = [Mistake(q, code, tuple(sorted(who[(q, code)])), round(lost[(q, code)], 6)) for q, code in who]
    return sorted(found, key=lambda m: (-m.points_lost, -len(m.submissions), m.question, m.code))


def slowest(batch: GradedBatch, count: int = 5) -> list[Standing]:
    return sorted(batch.standings, key=lambda s: -s.result.execution_time)[:count]


def largest(batch: GradedBatch, count: int = 5) -> list[Standing]:
    """Peak memory of each submission's processes together; empty where none was measured."""
    measured = [s for s in batch.standings if s.result.peak_memory_mib is not None]
    return sorted(measured, key=lambda s: -(s.result.peak_memory_mib or 0.0))[:count]


def limits_hit(batch: GradedBatch) -> list[LimitHit]:
    """Every limit a submission hit itself (not the tests skipped after it), once per question."""
    hits = {
        LimitHit(s.submission_id, t.question, t.status)
        for s in batch.standings
        for t in s.result.tests
        if t.status in LIMITS and not t.after_lost
    }
    return sorted(hits, key=lambda h: (h.submission_id, h.question, h.status))
