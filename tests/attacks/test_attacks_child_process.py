"""Work handed to another process is out of sight of every witness beside student code.

A second interpreter started by the student's code has no audit hook and no recorders: `hvp`
asked one (over pipes) to call `torch.autograd.functional.hvp`, which the question forbids, and
kept the points of the tests that forbid it (12 of 15 where calling the helper directly scores
0). Starting a process from student code is tampering now (the audit hook's process events,
judged by any student frame on the stack, since the frame raising them is the library's):
`hvp` scores zero with `tampering`, and the correct submission graded beside keeps full marks.
"""

from __future__ import annotations

import pytest

from grader.course.assignment import find_assignment
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from tests.conftest import REFERENCE, SUBMISSIONS, full_marks
from tests.sandbox.test_isolation import question_scores

pytestmark = pytest.mark.slow

FULL = full_marks("second_order")


@pytest.fixture(scope="module")
def graded():
    with Grader(
        find_assignment("second_order"),
        GradingOptions(mode=GRADE, reference_dir=REFERENCE / "second_order"),
    ) as grader:
        attack = grader.grade(Submission.at(SUBMISSIONS / "hostile_child_process" / "second_order.py"))[0]
        control = grader.grade(Submission.at(SUBMISSIONS / "second_order" / "correct_compact.py"))[0]
    return attack, control


def test_a_helper_called_in_a_child_process_costs_the_question(graded):
    attack, control = graded
    assert question_scores(control) == FULL
    assert question_scores(attack) == {q: 0 if q == "hvp" else p for q, p in FULL.items()}
    codes = {t.misconception for t in attack.tests if t.question == "hvp"}
    assert codes == {"tampering"}
    assert any("started another process" in t.message for t in attack.tests if t.question == "hvp")
