"""Hidden tests for `maml`: random networks and tasks per submission, float32 and float64,
one and three inner steps; the reference computes the expected values live."""

import pytest
import torch

from grader.feedback import expect_close

CASES = [(torch.float32, 1), (torch.float64, 3)]
CASE_IDS = ["float32-1-step", "float64-3-steps"]


def setup_problem(given, seed, dtype, hidden=10, n_tasks=3, k=6):
    generator = torch.Generator().manual_seed(seed)
    params = [p.detach().to(dtype) for p in given.init_params(hidden, generator)]
    tasks = [tuple(t.to(dtype) for t in task) for task in given.sample_tasks(n_tasks, k, k, generator)]
    return params, tasks


@pytest.mark.question("inner_update")
@pytest.mark.parametrize("order", ["second-order", "first-order"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_inner_update(student, reference, checks, given, seed, dtype, order):
    """inner_update: parameters and {order} meta-gradient on a random {dtype} task"""
    first_order = order == "first-order"
    params, [(xs, ys, xq, yq), *_] = setup_problem(given, seed, dtype)
    args = ("inner_update_outcome", params, xs, ys, 0.02, first_order, xq, yq)
    checks.expect_adapted("inner_update", student.probe(*args).value, reference.probe(*args),
                          first_order=first_order)


@pytest.mark.question("adapt")
@pytest.mark.parametrize("order", ["second-order", "first-order"])
@pytest.mark.parametrize("dtype,steps", CASES, ids=CASE_IDS)
def test_adapt(student, reference, checks, given, seed, dtype, steps, order):
    """adapt: {steps} step(s) on a random {dtype} task with the {order} meta-gradient"""
    first_order = order == "first-order"
    params, [(xs, ys, xq, yq), *_] = setup_problem(given, seed, dtype)
    args = ("adapt_outcome", params, xs, ys, 0.03, steps, first_order, xq, yq)
    checks.expect_adapted("adapt", student.probe(*args).value, reference.probe(*args),
                          first_order=first_order)


@pytest.mark.question("meta_loss")
@pytest.mark.parametrize("order", ["second-order", "first-order"])
@pytest.mark.parametrize("dtype,steps", CASES, ids=CASE_IDS)
def test_meta_loss(student, reference, checks, given, seed, dtype, steps, order):
    """meta_loss and its {order} meta-gradient over three random {dtype} tasks, {steps} inner step(s)"""
    first_order = order == "first-order"
    params, tasks = setup_problem(given, seed, dtype)
    args = ("meta_loss_outcome", params, tasks, 0.03, steps, first_order)
    got, expected = student.probe(*args).value, reference.probe(*args)
    checks.expect_untouched("meta_loss", got)
    expect_close(got["value"], expected["value"], what="meta_loss(params, tasks, 0.03, steps)")
    checks.expect_meta_gradient("meta_loss", got["meta_grads"], expected["meta_grads"],
                                first_order=first_order)
