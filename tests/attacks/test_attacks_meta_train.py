"""meta_train is graded on what it achieves, so an attacker's cheapest move is to achieve it
somewhere else: train once, offline, and return the result as constants whatever it is
handed. Four such submissions, each beside nothing but the grader:

- hostile_precomputed_meta_train: parameters trained from another start (checked in).
- the same trick aimed better: parameters trained by the reference itself from the very
  start `grader check` hands meta_train on the student's machine (made here, as an attacker
  would, from the published derivation of the start's seed).
- hostile_pretrain_mix: the start trained on the plain regression loss (no inner step), then
  moved most of the way to reordered offline parameters.
- hostile_aligned_meta_train: parameters trained from another start, their hidden units
  reordered to correlate with the start they are handed (a ReLU network computes, and
  adapts, the same whatever the order of its hidden units).

Each must earn nothing for meta_train: in `grader grade` the start is keyed (only the
reference folder's key gives it), a result that does not come from the start it was handed
fails with ignores_given_params, and so does one whose change from the start is not the
change the reference's training makes from it (the same start and draws).
"""

from __future__ import annotations

import base64
import dataclasses
import importlib.util
import io
from pathlib import Path

import pytest
import torch

from grader import results
from grader.course.assignment import find_assignment
from grader.grading import Grader
from grader.intake.submission import Submission
from grader.seeds import seed_for
from tests.conftest import REFERENCE, SANDBOX_GROUP, SUBMISSIONS
from tests.sandbox.test_isolation import question_scores, sandboxed_grader

pytestmark = [pytest.mark.slow, SANDBOX_GROUP]

NODES = {
    200: "tests/test_public.py::test_meta_train_quick",
    2000: "tests/test_public.py::test_meta_train_learns",
}


def _reference():
    spec = importlib.util.spec_from_file_location("attack_reference_maml", REFERENCE / "maml" / "maml.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trained_from_the_check_start(steps: int) -> str:
    """What an attacker can compute at home: the reference's meta_train from the start
    `grader check` hands the test of `steps` steps, saved as base64."""
    reference = _reference()
    node = NODES[steps]
    start = torch.Generator().manual_seed(seed_for("maml", node, None, purpose="held-out start"))
    params = [p.detach() for p in reference.init_params(40, start)]
    draws = torch.Generator().manual_seed(seed_for("maml", node, None) + 1)
    trained = [t.detach() for t in reference.meta_train(params, steps, generator=draws)]
    buffer = io.BytesIO()
    torch.save(trained, buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def write_attack(folder: Path) -> Path:
    stub = (SUBMISSIONS / "maml" / "correct_loop_style.py").read_text()
    head = stub[: stub.index("def meta_train(")]
    constants = {steps: trained_from_the_check_start(steps) for steps in NODES}
    path = folder / "maml.py"
    path.write_text(
        head + "import base64 as _b64\nimport io as _io\n\nTRAINED = "
        f"{constants!r}\n\n\ndef meta_train(params, meta_steps, **kwargs):\n"
        "    data = _io.BytesIO(_b64.b64decode(TRAINED[meta_steps]))\n"
        "    return [t.clone() for t in torch.load(data)]\n"
    )
    return path


def grade_meta_train(path: Path):
    """meta_train's points and the codes of its tests, the 2000-step one included."""
    grader = sandboxed_grader("maml")
    with Grader(grader.assignment, dataclasses.replace(grader.options, run_slow=True)) as grader:
        result, _ = grader.grade(Submission.at(path))
    tests = [t for t in result.tests if t.question == "meta_train"]
    assert len(tests) == 2 and all(t.status != results.NOT_RUN for t in tests)
    return question_scores(result)["meta_train"], {t.misconception for t in tests}


def test_constants_trained_offline_earn_nothing_for_meta_train():
    score, codes = grade_meta_train(SUBMISSIONS / "hostile_precomputed_meta_train" / "maml.py")
    assert (score, codes) == (0, {"ignores_given_params"})


def test_constants_trained_from_the_check_start_earn_nothing_for_meta_train(tmp_path):
    score, codes = grade_meta_train(write_attack(tmp_path))
    assert (score, codes) == (0, {"ignores_given_params"})


def test_offline_parameters_reordered_like_the_start_earn_nothing_for_meta_train():
    """Reordered hidden units keep the offline held-out ratio and look like the start (mean
    correlation 0.72-0.76, the reference's own 0.75-0.77): only the direction of the change,
    compared with the reference's training from the same start, gives them away."""
    score, codes = grade_meta_train(SUBMISSIONS / "hostile_aligned_meta_train" / "maml.py")
    assert (score, codes) == (0, {"ignores_given_params"})


def test_plain_training_mixed_with_reordered_offline_parameters_earns_nothing():
    """Training the start on the plain regression loss points the change where meta-training
    does; offline parameters, reordered, bring the held-out loss down. Neither alone, nor
    mixed, is both close enough to the reference's training and as good on held-out tasks."""
    score, codes = grade_meta_train(SUBMISSIONS / "hostile_pretrain_mix" / "maml.py")
    assert (score, codes) == (0, {"ignores_given_params"})


def test_grader_check_names_a_result_that_did_not_start_from_its_params():
    """On a student's machine the reference is not live, so only the result's resemblance to
    the start it was handed can tell: a meta_train that trains a fresh initialisation is
    named there, before it is handed in."""
    from grader.grading import CHECK, GradingOptions

    with Grader(
        find_assignment("maml"), GradingOptions(mode=CHECK, questions=frozenset({"meta_train"}))
    ) as grader:
        result, _ = grader.grade(Submission.at(SUBMISSIONS / "maml" / "meta_train_reinitialises.py"))
    quick = [t for t in result.tests if t.question == "meta_train" and t.status != results.NOT_RUN]
    assert quick and all(t.misconception == "ignores_given_params" for t in quick)
    assert all("does not come from the params it was handed" in t.message for t in quick)
