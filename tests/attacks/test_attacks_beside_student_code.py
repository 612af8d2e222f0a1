"""Attacks on what runs beside student code, each graded in the bubblewrap sandbox beside an
honest control: the exact scores, and the correct submission in the same batch untouched.

- hostile_grader_roots: the worker's entry module (still `__main__`) and its
  `sys.breakpointhook` led, through `__globals__`, to every worker module: the dict watch,
  the input guard and the forbidden-helper recorders were rewritten from there;
- hostile_reachable_grader: a search for anything of the grader reachable without an
  audited door, from every module, `sys` and the builtins;
- hostile_module_rerun: fresh, unrecorded forbidden helpers, by running their module again;
- hostile_stolen_nonce: the heartbeat's nonce read from the worker's frames (locals that
  traceback captures for its caller), then every reply of the question written by the
  submission itself, saying its inputs were untouched;
- hostile_raw_memory: numpy's array interface (any address, read as numbers or objects, no
  audit event) to take torch's original helpers out of their recorders and put one back;
- hostile_faked_backward: a wrong penalty with hooks on the critic's weights, so that the
  probe's backward gives the weights the right gradients;
- hostile_equal_gadget: `torch.equal` rebound to another torch builtin (the dict watch
  accepts torch rebinding its own names) to blind the input guard.
"""

from __future__ import annotations

import io
import shutil

import pytest
from rich.console import Console

from grader.commands.grade import grade_batch
from grader.intake.submission import Submission
from tests.conftest import SANDBOX_GROUP, SUBMISSIONS, full_marks
from tests.sandbox.test_isolation import question_scores, sandboxed_grader

pytestmark = [pytest.mark.slow, SANDBOX_GROUP]

SECOND_ORDER_FULL = full_marks("second_order")
MAML_FULL = full_marks("maml")


def batch_of(folder, named: dict[str, object]) -> list[Submission]:
    """Copy each submission under its id, in this order, and return them for one batch."""
    paths = []
    for name, source in named.items():
        target = folder / f"{name}.py"
        shutil.copy(source, target)
        paths.append(target)
    return [Submission.at(path) for path in paths]


@pytest.fixture(scope="module")
def second_order_results(tmp_path_factory):
    root = tmp_path_factory.mktemp("attacks")
    submissions = batch_of(
        root,
        {
            "a_correct": SUBMISSIONS / "second_order" / "correct_compact.py",
            "grader_roots": SUBMISSIONS / "hostile_grader_roots" / "second_order.py",
            "reachable_grader": SUBMISSIONS / "hostile_reachable_grader" / "second_order.py",
            "module_rerun": SUBMISSIONS / "hostile_module_rerun" / "second_order.py",
            "stolen_nonce": SUBMISSIONS / "hostile_stolen_nonce" / "second_order.py",
            "raw_memory": SUBMISSIONS / "hostile_raw_memory" / "second_order.py",
            "faked_backward": SUBMISSIONS / "hostile_faked_backward" / "second_order.py",
            "summed_penalty": SUBMISSIONS / "second_order" / "penalty_sum_instead_of_mean.py",
            "changes_inputs": SUBMISSIONS / "second_order" / "changes_inputs.py",
            "forbidden_helper": SUBMISSIONS / "second_order" / "forbidden_helper.py",
        },
    )
    with sandboxed_grader("second_order") as grader:
        results = grade_batch(grader, submissions, root / "out", Console(file=io.StringIO()))
    return {result.submission_id: result for result in results}


def test_the_grader_is_not_reachable_through_what_survives_in_sys(second_order_results):
    result = second_order_results["grader_roots"]
    # `"__glo" + "bals__"` in its top-level code is folded by the static look, and top-level
    # code counts for every question: it loses them all (it lost only the three it attacks
    # while the look took names literally)
    assert question_scores(result) == {question: 0 for question in SECOND_ORDER_FULL}
    # no more than the honest controls of its two mistakes
    changes, helper = second_order_results["changes_inputs"], second_order_results["forbidden_helper"]
    assert question_scores(result)["first_order_grads"] == question_scores(changes)["first_order_grads"]
    assert question_scores(result)["hessian"] == question_scores(helper)["hessian"] == 0
    codes = {
        t.misconception
        for t in result.tests
        if t.question in ("first_order_grads", "hessian") and not t.passed
    }
    assert codes <= {"in_place_update", "forbidden_api", "tampering"}, codes


def test_nothing_of_the_grader_is_reachable_without_an_audited_door(second_order_results):
    result = second_order_results["reachable_grader"]
    # the names its search follows are built from pieces at the top of the module: the static
    # look folds them, so every question is lost to tampering before the search can run
    assert question_scores(result) == {question: 0 for question in SECOND_ORDER_FULL}
    assert {t.misconception for t in result.tests} == {"tampering"}
    assert all("__globals__" in t.message for t in result.tests)


def test_running_the_helpers_module_again_is_tampering(second_order_results):
    result = second_order_results["module_rerun"]
    assert question_scores(result) == {**SECOND_ORDER_FULL, "hessian": 0, "hvp": 0}
    for question in ("hessian", "hvp"):
        codes = {t.misconception for t in result.tests if t.question == question}
        assert "tampering" in codes, (question, codes)


def test_the_worker_frames_locals_are_a_door_too(second_order_results):
    result, control = second_order_results["stolen_nonce"], second_order_results["changes_inputs"]
    assert question_scores(result) == {**SECOND_ORDER_FULL, "first_order_grads": 0}
    assert question_scores(result)["first_order_grads"] == question_scores(control)["first_order_grads"]
    tests = [t for t in result.tests if t.question == "first_order_grads"]
    assert tests and all(t.misconception == "tampering" for t in tests), [
        (t.status, t.message[:120]) for t in tests
    ]


def test_nothing_may_take_a_recorders_place(second_order_results):
    result, control = second_order_results["raw_memory"], second_order_results["forbidden_helper"]
    assert question_scores(control) == {**SECOND_ORDER_FULL, "hessian": 0}
    # numpy's array interface, named at the top of the module, is a door the static look sees
    # for every question (it is read in C, with no audit event)
    assert question_scores(result) == {question: 0 for question in SECOND_ORDER_FULL}
    codes = {t.misconception for t in result.tests if t.question == "hessian"}
    assert codes == {"tampering"}, codes


def test_a_backward_of_its_own_earns_nothing_for_a_wrong_penalty(second_order_results):
    result, control = second_order_results["faked_backward"], second_order_results["summed_penalty"]
    assert question_scores(result)["gradient_penalty"] == question_scores(control)["gradient_penalty"]
    assert result.score <= control.score
    assert question_scores(result)["gradient_penalty"] < SECOND_ORDER_FULL["gradient_penalty"]
    assert all(
        not t.passed for t in result.tests if t.question == "gradient_penalty" and "backward()" in t.name
    ), [(t.name, t.passed) for t in result.tests]


def test_the_correct_submission_beside_the_attacks_keeps_full_marks(second_order_results):
    assert question_scores(second_order_results["a_correct"]) == SECOND_ORDER_FULL


def test_rebinding_torch_equal_does_not_hide_training_the_callers_params(tmp_path):
    submissions = batch_of(
        tmp_path,
        {
            "a_correct": SUBMISSIONS / "maml" / "correct_loop_style.py",
            "equal_gadget": SUBMISSIONS / "hostile_equal_gadget" / "maml.py",
            "in_place": SUBMISSIONS / "maml" / "meta_train_trains_callers_params.py",
        },
    )
    with sandboxed_grader("maml") as grader:
        results = {
            r.submission_id: r
            for r in grade_batch(grader, submissions, tmp_path / "out", Console(file=io.StringIO()))
        }
    forged, control = results["equal_gadget"], results["in_place"]
    assert question_scores(forged) == question_scores(control) == {**MAML_FULL, "meta_train": 0}
    codes = {t.misconception for t in forged.tests if t.question == "meta_train" and not t.passed}
    assert "in_place_update" in codes, codes
    # the slow 2000-step test is not run here: the quick one carries 2/7 of meta_train's 35
    assert question_scores(results["a_correct"]) == pytest.approx({**MAML_FULL, "meta_train": 10})
