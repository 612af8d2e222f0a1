"""Public tests for `second_order`: the worked example and small random inputs.

These run on a student's machine with `grader check`, against expected values recorded from
the reference solution (`grader record second_order`). Each test calls the function on its
inputs in every kind the contract allows (requiring grad or not, holding a .grad or not) and
checks that the call left them as they came.
"""

import pytest
import torch

from grader.testing import Fn

DTYPES = [torch.float32, torch.float64]


def worked_example():
    return torch.tensor([3.0, 1.0]), torch.tensor([1.0, 2.0])


def random_vectors(seed, n, dtype, count=2):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(n, generator=generator, dtype=dtype) for _ in range(count)]


@pytest.mark.question("first_order_grads")
def test_first_order_grads_worked_example(student, reference, checks):
    """first_order_grads gives ([10, 20], [30, 10]) on the worked example"""
    x, y = worked_example()
    checks.expect_like_reference(student, reference, "first_order_grads", x, y)


@pytest.mark.question("first_order_grads")
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_first_order_grads_random(student, reference, checks, seed, dtype):
    """first_order_grads matches the reference on random {dtype} inputs"""
    x, y = random_vectors(seed, 5, dtype)
    checks.expect_like_reference(student, reference, "first_order_grads", x, y)


@pytest.mark.question("second_partials")
@pytest.mark.weight(2)
def test_second_partials_worked_example(student, reference, checks):
    """second_partials gives ([2, 4], [16, 2]) on the worked example with i = 0"""
    x, y = worked_example()
    checks.expect_like_reference(
        student,
        reference,
        "second_partials",
        x,
        y,
        0,
        variants=checks.second_partials_mistakes(reference, x, y, 0),
    )


@pytest.mark.question("second_partials")
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_second_partials_random(student, reference, checks, seed, dtype):
    """second_partials matches the reference on random {dtype} inputs"""
    x, y = random_vectors(seed, 6, dtype)
    checks.expect_like_reference(
        student,
        reference,
        "second_partials",
        x,
        y,
        4,
        variants=checks.second_partials_mistakes(reference, x, y, 4),
    )


@pytest.mark.question("grads_without_zeroing")
@pytest.mark.weight(2)
def test_grads_without_zeroing_worked_example(student, reference, checks):
    """grads_without_zeroing gives ([12, 24], [46, 12]) on the worked example with i = 0"""
    x, y = worked_example()
    checks.expect_like_reference(
        student,
        reference,
        "grads_without_zeroing",
        x,
        y,
        0,
        variants=checks.zeroing_mistakes(reference, x, y, 0),
    )


@pytest.mark.question("grads_without_zeroing")
def test_grads_without_zeroing_random(student, reference, checks, seed):
    """grads_without_zeroing matches the reference on random float64 inputs"""
    x, y = random_vectors(seed, 4, torch.float64)
    checks.expect_like_reference(
        student,
        reference,
        "grads_without_zeroing",
        x,
        y,
        1,
        variants=checks.zeroing_mistakes(reference, x, y, 1),
    )


@pytest.mark.question("hessian")
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_hessian_quartic(student, reference, checks, seed, dtype):
    """hessian matches the reference on a quartic function in {dtype}, by double backward"""
    x, a, b = random_vectors(seed, 5, dtype, count=3)
    f = Fn("quartic", (a.abs(), b))
    checks.expect_like_reference(
        student,
        reference,
        "hessian",
        f,
        x,
        variants=checks.hessian_mistakes(reference, f, x),
        forbid_helpers=True,
    )


@pytest.mark.question("hessian")
def test_hessian_of_w(student, reference, checks, seed):
    """hessian of w = (x . y)^2 as a function of x is 2 y y^T"""
    x, y = random_vectors(seed, 4, torch.float64)
    f = Fn("dot_squared", (y,))
    checks.expect_like_reference(
        student,
        reference,
        "hessian",
        f,
        x,
        variants=checks.hessian_mistakes(reference, f, x),
        forbid_helpers=True,
    )


@pytest.mark.question("hvp")
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_hvp_small(student, reference, checks, seed, dtype):
    """hvp matches the reference on a small {dtype} Rosenbrock function, without helpers"""
    x, v = random_vectors(seed, 8, dtype)
    f = Fn("rosenbrock", (torch.tensor(10.0, dtype=dtype),))
    checks.expect_like_reference(student, reference, "hvp", f, x, v, forbid_helpers=True)


@pytest.mark.question("gradient_penalty")
def test_gradient_penalty_value(student, reference, checks, seed):
    """gradient_penalty matches the reference on a small critic in float64"""
    generator = torch.Generator().manual_seed(seed)
    critic, x = small_critic(generator, batch=4, dim=3, dtype=torch.float64)
    checks.expect_like_reference(
        student,
        reference,
        "gradient_penalty",
        critic,
        x,
        variants=checks.penalty_mistakes(reference, critic, x),
    )


@pytest.mark.question("gradient_penalty")
@pytest.mark.weight(2)
def test_gradient_penalty_backpropagates_to_weights(student, reference, checks, seed):
    """gradient_penalty(f, x).backward() gives the critic's weights the right gradients"""
    generator = torch.Generator().manual_seed(seed)
    critic, x = small_critic(generator, batch=5, dim=2, dtype=torch.float32)
    checks.expect_penalty_and_weight_grads(student, reference, critic, x)


def small_critic(generator, *, batch, dim, dtype, hidden=6):
    def draw(*shape):
        return torch.randn(*shape, generator=generator, dtype=dtype)

    critic = Fn("critic", (draw(hidden, dim), draw(hidden), draw(hidden), draw(())))
    return critic, draw(batch, dim)
