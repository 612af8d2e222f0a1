"""Trusted test code that runs beside a module: the test functions and the probes.

Functions such as the `f` given to `hessian` cannot cross a process boundary, so tests name
them (``Fn("quartic", a, b)``) and each side builds them here from their tensors. A probe
calls into a module and differentiates through its output; the same probe runs against the
reference in the grading process and against the submission in its worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor


def quartic(a: Tensor, b: Tensor) -> Callable[[Tensor], Tensor]:
    """f(x) = sum(a x^4) + (b . x)^2: a diagonal plus a rank-one Hessian."""
    return lambda x: (a * x**4).sum() + torch.dot(b, x) ** 2


def dot_squared(y: Tensor) -> Callable[[Tensor], Tensor]:
    """f(x) = (x . y)^2, the homework's w as a function of x: Hessian 2 y y^T."""
    return lambda x: torch.dot(x, y) ** 2


def rosenbrock(scale: Tensor) -> Callable[[Tensor], Tensor]:
    """The chained Rosenbrock function: a banded Hessian, O(n) to evaluate."""
    return lambda x: (scale * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def log_sum_exp(a: Tensor, c: Tensor) -> Callable[[Tensor], Tensor]:
    """f(x) = logsumexp(a x) + sum(c sin x): a dense Hessian."""
    return lambda x: torch.logsumexp(a * x, dim=0) + (c * torch.sin(x)).sum()


class Critic:
    """f(x) = tanh(x W1^T + b1) w2 + c sum(x^2): one output per row, with weights."""

    def __init__(self, w1: Tensor, b1: Tensor, w2: Tensor, c: Tensor) -> None:
        self.parameters = [t.detach().clone().requires_grad_(True) for t in (w1, b1, w2, c)]

    def __call__(self, x: Tensor) -> Tensor:
        w1, b1, w2, c = self.parameters
        return torch.tanh(x @ w1.T + b1) @ w2 + c * (x**2).sum(dim=1)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "quartic": quartic,
    "dot_squared": dot_squared,
    "rosenbrock": rosenbrock,
    "log_sum_exp": log_sum_exp,
    "critic": Critic,
}


def penalty_and_weight_grads(module: Any, critic: Critic, x: Tensor) -> dict[str, Any]:
    """The penalty, whether it is differentiable, and the gradient it gives each weight."""
    penalty = module.gradient_penalty(critic, x)
    # Only a plain tensor is differentiated: a subclass could take over .backward().
    differentiable = type(penalty) is Tensor and penalty.requires_grad
    for p in critic.parameters:
        p.grad = None
    if differentiable:
        penalty.backward()
    grads = tuple(torch.zeros_like(p) if p.grad is None else p.grad for p in critic.parameters)
    return {"penalty": penalty, "differentiable": differentiable, "weight_grads": grads}


PROBES: dict[str, Callable[..., Any]] = {"penalty_and_weight_grads": penalty_and_weight_grads}
