"""Doors the static look and the audit hook close now, each beside an honest control.

- a helper module of a folder submission that names numpy's array interface from pieces
  (`"__array_" + "interface__"`): the static look reads every Python file of a submission and
  folds names built from constants, so every question scores zero with `tampering` (it
  scored full marks while only the main module was read and names were taken literally);
- `marshal` imported under a name the source never spells: the module is out of
  `sys.modules` before student code, so its import raises the audit hook's import event;
- bytecode written at run time and imported: the import system unmarshals it for the
  student (no student frame calls marshal), and bytecode from outside the trusted folders is
  tampering whoever loads it.

Each attacked question scores zero with `tampering`; the others, and the correct submission
graded beside, keep full marks.
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
LOADERS = SUBMISSIONS / "hostile_code_loaders"
ATTACKS = {
    "helper_doors": list(FULL),
    "imports_marshal.py": ["hessian"],
    "imports_made_bytecode.py": ["hessian"],
}


@pytest.fixture(scope="module")
def graded():
    with Grader(
        find_assignment("second_order"),
        GradingOptions(mode=GRADE, reference_dir=REFERENCE / "second_order"),
    ) as grader:
        found = {name: grader.grade(Submission.at(LOADERS / name))[0] for name in ATTACKS}
        found["control"] = grader.grade(Submission.at(SUBMISSIONS / "second_order" / "correct_compact.py"))[0]
    return found


def test_the_correct_submission_beside_them_keeps_full_marks(graded):
    assert question_scores(graded["control"]) == FULL


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_door_costs_the_questions_that_open_it(graded, name):
    attacked = ATTACKS[name]
    result = graded[name]
    assert question_scores(result) == {q: 0 if q in attacked else p for q, p in FULL.items()}
    for question in attacked:
        assert {t.misconception for t in result.tests if t.question == question} == {"tampering"}, question
