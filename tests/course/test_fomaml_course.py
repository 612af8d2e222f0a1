"""The bundled class homework, examples/fomaml_course, graded for real: `grader grade` on a
batch of its submissions, once per module. Correct ones in two styles get full marks, each
realistic mistake loses exactly the points of the questions it breaks with its code on every
failing test, and a hostile one scores zero."""

from __future__ import annotations

import json
import shutil

import pytest

from grader.cli import main
from grader.course.assignment import Assignment
from tests.conftest import ROOT, SUBMISSIONS

pytestmark = pytest.mark.slow  # a batch of real submissions, each with a 600-step training run

COURSE = ROOT / "examples" / "fomaml_course"
ASSIGNMENT = COURSE / "assignments" / "fomaml"
FULL = {question: points.total for question, points in Assignment.load(ASSIGNMENT).questions.items()}
ADAPT, META_LOSS, TRAIN = "FOMAML.adapt", "FOMAML.meta_loss", "FOMAML.train"

# name: {question: (its score, the codes its failing tests carry)} for the questions it breaks
CASES: dict[str, dict[str, tuple[float, set[str | None]]]] = {
    "correct_loop_style": {},
    "correct_backward_style": {},
    # adapt's mistakes reach meta_loss and train, which call it: their tests name it too
    "in_place_update": dict.fromkeys([ADAPT, META_LOSS, TRAIN], (0, {"in_place_update"})),
    "detached_fast_weights": dict.fromkeys([ADAPT, META_LOSS, TRAIN], (0, {"detached_fast_weights"})),
    # full MAML learns at least as well, the same way: it keeps the learning test (10 of 50)
    "second_order": {
        **dict.fromkeys([ADAPT, META_LOSS], (0, {"second_order_maml"})),
        TRAIN: (10, {"second_order_maml"}),
    },
    "no_adaptation": dict.fromkeys([META_LOSS, TRAIN], (0, {"no_adaptation"})),
    # Adam barely sees the scale: the summed meta-loss learns as the mean does
    "sum_instead_of_mean": {META_LOSS: (0, {"sum_instead_of_mean"}), TRAIN: (10, {"sum_instead_of_mean"})},
    # the learning test fails too, with no code of its own: the meta-gradients run away
    "no_zero_grad": {TRAIN: (0, {"meta_grads_accumulate", None})},
    "no_history": {TRAIN: (10, {"history_not_kept"})},
    # only the hidden test calls train twice (30 of 50)
    "history_reset_each_call": {TRAIN: (20, {"history_not_kept"})},
    "hostile_reaches_for_reference": dict.fromkeys(FULL, (0, {"tampering"})),
    # weights meta-trained offline, copied in by train: nothing follows the keyed start
    "hostile_offline_weights": {TRAIN: (0, {"history_not_kept", None})},
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Each submission's results.json, from one `grader grade` of the whole batch."""
    root = tmp_path_factory.mktemp("fomaml")
    batch = root / "batch"
    batch.mkdir()
    for name in CASES:
        shutil.copy(SUBMISSIONS / "fomaml" / f"{name}.py", batch / f"{name}.py")
    out = root / "out"
    assert main(["grade", str(ASSIGNMENT), str(batch), "--out", str(out), "--no-sandbox", "--jobs", "2"]) == 0
    return {name: json.loads((out / name / "results.json").read_text()) for name in CASES}


@pytest.mark.parametrize("name", CASES)
def test_each_submission_loses_exactly_its_questions_with_its_code(graded, name):
    tests = graded[name]["tests"]
    scores = {question: sum(t["score"] for t in tests if t["question"] == question) for question in FULL}
    codes = {
        question: {
            t["misconception"] for t in tests if t["question"] == question and t["score"] < t["max_score"]
        }
        for question in FULL
    }
    expected = {question: CASES[name].get(question, (FULL[question], set())) for question in FULL}
    assert scores == pytest.approx({q: score for q, (score, _) in expected.items()}), [
        (t["question"], t["output"][:150]) for t in tests if t["score"] < t["max_score"]
    ]
    assert codes == {q: wanted for q, (_, wanted) in expected.items()}
    assert graded[name]["score"] == pytest.approx(sum(score for score, _ in expected.values()))


def test_every_code_of_the_catalogue_is_shown_by_a_submission():
    shown = {code for case in CASES.values() for _, codes in case.values() for code in codes} - {
        None,
        "tampering",
    }
    assert shown == set(Assignment.load(ASSIGNMENT).misconceptions.entries) - {"forbidden_api", "tampering"}
