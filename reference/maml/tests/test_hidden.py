"""Hidden tests for `maml`: random networks and tasks per submission, float32 and float64,
zero, one and three inner steps; the reference computes the expected values live."""

import pytest
import torch

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
def test_inner_update_on_random_tasks(student, reference, checks, given, seed, dtype, order):
    """inner_update: parameters and {order} meta-gradient on a random {dtype} task"""
    first_order = order == "first-order"
    params, [(xs, ys, xq, yq), *_] = setup_problem(given, seed, dtype)
    args, kwargs = (params, xs, ys), dict(lr=0.02, first_order=first_order, x_query=xq, y_query=yq)
    got = student.probe("inner_update_outcome", *args, **kwargs).value
    checks.expect_adapted(
        "inner_update",
        got,
        reference.probe("inner_update_outcome", *args, **kwargs),
        first_order=first_order,
        variants=checks.mistakes(reference, "inner_update_outcome", args, kwargs),
    )


@pytest.mark.question("adapt")
@pytest.mark.parametrize("order", ["second-order", "first-order"])
@pytest.mark.parametrize("dtype,steps", CASES, ids=CASE_IDS)
def test_adapt_on_random_tasks(student, reference, checks, given, seed, dtype, steps, order):
    """adapt: {steps} step(s) on a random {dtype} task with the {order} meta-gradient"""
    first_order = order == "first-order"
    params, [(xs, ys, xq, yq), *_] = setup_problem(given, seed, dtype)
    args, kwargs = (
        (params, xs, ys),
        dict(lr=0.03, steps=steps, first_order=first_order, x_query=xq, y_query=yq),
    )
    got = student.probe("adapt_outcome", *args, **kwargs).value
    checks.expect_adapted(
        "adapt",
        got,
        reference.probe("adapt_outcome", *args, **kwargs),
        first_order=first_order,
        variants=checks.mistakes(reference, "adapt_outcome", args, kwargs),
    )


@pytest.mark.question("meta_loss")
@pytest.mark.parametrize("order", ["second-order", "first-order"])
@pytest.mark.parametrize("dtype,steps", CASES, ids=CASE_IDS)
def test_meta_loss_on_random_tasks(student, reference, checks, given, seed, dtype, steps, order):
    """meta_loss and its {order} meta-gradient over three random {dtype} tasks, {steps} inner step(s)"""
    first_order = order == "first-order"
    params, tasks = setup_problem(given, seed, dtype)
    args, kwargs = (params, tasks), dict(inner_lr=0.03, inner_steps=steps, first_order=first_order)
    got = student.probe("meta_loss_outcome", *args, **kwargs).value
    checks.expect_meta_loss(
        got,
        reference.probe("meta_loss_outcome", *args, **kwargs),
        len(tasks),
        first_order=first_order,
        variants=checks.mistakes(reference, "meta_loss_outcome", args, kwargs, lr_name="inner_lr"),
    )


@pytest.mark.question("meta_loss")
@pytest.mark.parametrize(
    "dtype,order",
    [(torch.float32, "second-order"), (torch.float64, "first-order")],
    ids=["float32-second-order", "float64-first-order"],
)
def test_meta_loss_with_no_inner_steps(student, reference, checks, given, seed, dtype, order):
    """meta_loss with inner_steps = 0 is the plain query loss of params, and its gradient ({dtype}, {order})"""
    # The API: adapt with 0 steps returns the parameters unchanged, so the meta-loss is the
    # mean query loss of params themselves, whatever first_order says.
    first_order = order == "first-order"
    params, tasks = setup_problem(given, seed, dtype)
    args, kwargs = (params, tasks), dict(inner_lr=0.03, inner_steps=0, first_order=first_order)
    got = student.probe("meta_loss_outcome", *args, **kwargs).value
    checks.expect_meta_loss(
        got, reference.probe("meta_loss_outcome", *args, **kwargs), len(tasks), first_order=first_order
    )
