"""Known-wrong variants of the `second_order` reference (instructors only).

Each reproduces one classic mistake exactly, so that a student answer equal to a variant's
can be named: `grader` reports the misconception code beside the failing test. Each takes
the reference module first (`ref`), then the graded function's own arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import torch
from torch import Tensor


def second_partials_accumulated(ref: ModuleType, x: Tensor, y: Tensor, i: int) -> tuple[Tensor, Tensor]:
    """grad_accumulation: the second backward added onto the first one's .grad."""
    gx, gy = ref.first_order_grads(x, y)
    hx, hy = ref.second_partials(x, y, i)
    return gx + hx, gy + hy


def grads_without_zeroing_zeroed(ref: ModuleType, x: Tensor, y: Tensor, i: int) -> tuple[Tensor, Tensor]:
    """zeroed_gradients: .grad reset between the passes, leaving the second-order terms."""
    return ref.second_partials(x, y, i)


def grads_without_zeroing_first_order_only(
    ref: ModuleType, x: Tensor, y: Tensor, i: int
) -> tuple[Tensor, Tensor]:
    """zeroed_gradients: the second pass lost, leaving the first-order terms."""
    return ref.first_order_grads(x, y)


def hessian_accumulated_rows(ref: ModuleType, f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """grad_accumulation: row j holds rows 0..j summed, .grad never reset between rows."""
    return torch.cumsum(ref.hessian(f, x), dim=0)


def hessian_rows_on_top_of_gradient(ref: ModuleType, f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """grad_accumulation: f(x).backward(create_graph=True) first, then every row on top."""
    leaf = x.detach().clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(f(leaf), leaf)
    return gradient + torch.cumsum(ref.hessian(f, x), dim=0)


def gradient_penalty_summed(ref: ModuleType, f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """sum_instead_of_mean: the squared gradient norms summed over the batch, not averaged."""
    leaf = x.detach().clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(f(leaf).sum(), leaf, create_graph=True)
    return gradient.pow(2).sum()


def penalty_and_weight_grads_summed(
    ref: ModuleType, f: Callable[[Tensor], Tensor], x: Tensor
) -> dict[str, object]:
    """sum_instead_of_mean: what the probe `penalty_and_weight_grads` sees from a summed
    penalty (its value, and the gradients `.backward()` gives the critic's weights)."""
    penalty = gradient_penalty_summed(ref, f, x)
    weights = f.parameters  # the assignment's critic keeps its weights here
    for p in weights:
        p.grad = None
    penalty.backward()
    grads = tuple(torch.zeros_like(p) if p.grad is None else p.grad for p in weights)
    return {"penalty": penalty, "differentiable": True, "weight_grads": grads}
