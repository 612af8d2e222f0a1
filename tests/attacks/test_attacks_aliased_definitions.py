"""The static look started from the definition named like the question; a class or function
written under another name and bound to the question's afterwards (`FOMAML = _Learner`,
`f = _g`), or made by a module's `__getattr__`, was no definition of that name, so none of its
code was looked at. numpy's `__array_interface__` (an array over any address, with no audit
event: only the static look stands there) in the bundled class course's `FOMAML.adapt` then
kept full marks. Each question now scores zero with `tampering`; the same code under its own
name did already."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.course.assignment import Assignment
from grader.grading import CHECK, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.static_check import tampering_by_question
from tests.conftest import ROOT, SUBMISSIONS

ASSIGNMENT = ROOT / "examples" / "fomaml_course" / "assignments" / "fomaml"
DOOR = "import sys\n\n\ndef _g(x):\n    return sys._getframe(1)\n\n\n"


@pytest.mark.parametrize(
    "source",
    [
        DOOR + "first_order_grads = _g\n",
        DOOR + "def first_order_grads(x):\n    return x\n\n\nfirst_order_grads = _g\n",
        DOOR + "def __getattr__(name):\n    return _g\n",
        DOOR + "globals().update(first_order_grads=_g)\n",
    ],
)
def test_a_definition_bound_under_the_questions_name_is_looked_at(source: str) -> None:
    assert tampering_by_question(source, ["first_order_grads"]) == {"first_order_grads": ["_getframe"]}


def test_a_definition_no_one_binds_still_counts_for_no_question() -> None:
    assert (
        tampering_by_question(DOOR + "def first_order_grads(x):\n    return x\n", ["first_order_grads"]) == {}
    )


@pytest.mark.slow
def test_an_aliased_class_scores_zero_in_every_question(tmp_path: Path) -> None:
    alone = tmp_path / "fomaml.py"  # alone in its folder: the corpus's others are no helpers
    shutil.copy(SUBMISSIONS / "fomaml" / "hostile_aliased_class.py", alone)
    assignment = Assignment.load(ASSIGNMENT)
    with Grader(assignment, GradingOptions(mode=CHECK)) as grader:
        result = grader.grade(Submission.at(alone, assignment))[0]
    assert result.tests and result.score == 0, [(t.name, t.message[:80]) for t in result.tests]
    assert {t.misconception for t in result.tests} == {"tampering"}
