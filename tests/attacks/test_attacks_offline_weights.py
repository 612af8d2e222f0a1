"""The bundled class course's learning test (`test_train_learns`, 10 of FOMAML.train's points,
on a keyed start and keyed held-out tasks) checks only that the held-out loss after training
falls below 0.55 of the start's. A train that ignores its start and its batches and puts in
weights meta-trained offline (the course's own algorithm from another start, on tasks the
public sine_tasks.py draws) passes it with no training at all.

Open: the maml course closes the same door by comparing what meta_train changed with what
the reference's own training changes from the same start and draws (see README, "an outcome
achieved elsewhere"); fomaml's learning test has no such comparison yet, so this test is an
expected failure until it has one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.course.assignment import Assignment
from grader.grading import CHECK, Grader, GradingOptions
from grader.intake.submission import Submission
from tests.conftest import ROOT, SUBMISSIONS

pytestmark = pytest.mark.slow

ASSIGNMENT = ROOT / "examples" / "fomaml_course" / "assignments" / "fomaml"


@pytest.fixture(scope="module")
def learning_test_passed(tmp_path_factory: pytest.TempPathFactory) -> bool:
    alone = tmp_path_factory.mktemp("offline") / "fomaml.py"
    shutil.copy(SUBMISSIONS / "fomaml" / "hostile_offline_weights.py", alone)
    assignment = Assignment.load(ASSIGNMENT)
    with Grader(assignment, GradingOptions(mode=CHECK, run_slow=True)) as grader:
        result = grader.grade(Submission.at(Path(alone), assignment))[0]
    [learning] = [t for t in result.tests if t.nodeid.endswith("test_train_learns")]
    state = [t for t in result.tests if t.nodeid.endswith("test_train_state")]
    assert state and not state[0].passed, "the offline weights are not the reference's training"
    return learning.passed


@pytest.mark.xfail(strict=True, reason="open: fomaml's learning test does not tie the result to its start")
def test_weights_trained_offline_do_not_pass_the_learning_test(learning_test_passed: bool) -> None:
    assert not learning_test_passed, "train put in offline weights and passed the learning test"
