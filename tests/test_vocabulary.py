"""Vocabularies are defined once, and no logic reads the wording of a message."""

from __future__ import annotations

import io

from rich.console import Console

from grader import problems, results
from grader.outputs.class_table import BatchStatistics
from grader.results import GradedTest, Status, SubmissionResult


def test_every_problem_status_is_in_the_one_vocabulary():
    classes = [problems.StudentProblem, *problems.StudentProblem.__subclasses__()]
    assert len(classes) > 5
    assert all(isinstance(cls.status, Status) for cls in classes)
    assert set(Status) >= results.LIMITS


def summary_text(tests: list[GradedTest]) -> str:
    result = SubmissionResult("alice", "hw", results.Mode.GRADE, tests=tests)
    console = Console(file=io.StringIO(), width=200)
    console.print(BatchStatistics([result], ["q"]))
    return console.file.getvalue()


def test_a_limit_counts_where_it_was_hit_whatever_the_messages_say():
    def test(name: str, after_lost: bool, message: str) -> GradedTest:
        return GradedTest(
            name=name,
            nodeid=name,
            question="q",
            visibility=results.VISIBLE,
            max_score=1,
            status=Status.TIMED_OUT,
            message=message,
            after_lost=after_lost,
        )

    hit = summary_text([test("a", False, "not run in time: the call took too long")])
    assert "hit a limit: alice (q: timed out)" in hit
    followed = summary_text([test("b", True, "the question was lost earlier")])
    assert "hit a limit: none" in followed
