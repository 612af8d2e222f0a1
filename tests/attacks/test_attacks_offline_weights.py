"""The bundled class course's learning test (`test_train_learns`, 10 of FOMAML.train's points,
on a keyed start and keyed held-out tasks) must tie what train did to the start it was handed.
A train that ignores its start and its batches and puts in weights meta-trained offline (the
course's own algorithm from another start, on tasks the public sine_tasks.py draws) reached a
low held-out loss with no training at all, and passed a test that checked only that loss.

Closed as the maml course closes it: the change train made to its start must follow the change
the reference's own training makes from the same start on the same batches (correlation at
least 0.3; offline weights give about 0), and the held-out loss is compared with the
reference's after that training.
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


def test_weights_trained_offline_do_not_pass_the_learning_test(learning_test_passed: bool) -> None:
    assert not learning_test_passed, "train put in offline weights and passed the learning test"
