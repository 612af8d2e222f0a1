"""Regrade some questions of a graded batch (`grader grade --question Q`), keeping the rest.

After a test is fixed, only its question needs grading again: each submission's new tests of
that question replace its old ones, and every other test, the captured output and the timings
stay exactly as recorded. The gradebook marks the regraded questions with the assignment
version that graded them, the others keep theirs; the submission then counts as graded by
the new version, since the instructor has said the other questions are unaffected
(`--regrade` grades everything again).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from grader.course.assignment import Assignment
from grader.errors import GraderError
from grader.gradebook.store import Gradebook
from grader.intake.submission import Submission
from grader.results import SubmissionResult
from grader.untrusted_text import first_names


def regradable(
    submissions: list[Submission], gradebook: Gradebook, hashes: dict[str, str]
) -> list[Submission]:
    """All the submissions, each graded before from the same content; else one line naming
    those that need a full grade first (a question regrade never mixes two versions of a
    student's code in one result)."""
    recorded = gradebook.recorded_hashes()
    new = [s.id for s in submissions if s.id not in recorded]
    changed = [s.id for s in submissions if s.id in recorded and recorded[s.id] != hashes[s.id]]
    for ids, why in ((new, "not graded yet"), (changed, "changed since they were graded")):
        if ids:
            raise GraderError(
                f"--question regrades graded submissions only; {len(ids)} are {why} "
                f"({first_names(ids)}): grade them without --question first"
            )
    return submissions


def merged(
    results: Iterable[SubmissionResult],
    gradebook: Gradebook,
    questions: frozenset[str],
    assignment: Assignment,
) -> Iterator[SubmissionResult]:
    """Each new result's regraded questions put into the submission's recorded result."""
    for result in results:
        old = gradebook.result_of(result.submission_id)
        yield result if old is None else with_questions(old, result, questions, assignment)


def with_questions(
    old: SubmissionResult, new: SubmissionResult, questions: frozenset[str], assignment: Assignment
) -> SubmissionResult:
    """`old` with the tests of `questions` taken from `new`, in the assignment's question
    order; every other test is `old`'s own, unchanged."""
    order = list(assignment.questions)
    order += [t.question for t in (*old.tests, *new.tests) if t.question not in order]
    tests = [
        t
        for q in dict.fromkeys(order)
        for t in (new.tests if q in questions else old.tests)
        if t.question == q
    ]
    return replace(old, tests=tests)
