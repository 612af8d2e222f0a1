"""Reference solution for the `second_order` assignment (instructors only).

Every derivative here comes from autograd. Where a derivative of a derivative is needed,
the first backward pass is run with ``create_graph=True`` so that the gradient it returns
is itself a node in a computation graph that can be differentiated again.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
from torch import Tensor


def _leaf_copy(t: Tensor) -> Tensor:
    """A fresh leaf that requires grad, so the caller's tensor is never touched."""
    return t.detach().clone().requires_grad_(True)


def first_order_grads(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Return (dw/dx, dw/dy) for w = (x . y)**2."""
    x, y = _leaf_copy(x), _leaf_copy(y)
    w = torch.dot(x, y) ** 2
    dw_dx, dw_dy = torch.autograd.grad(w, (x, y))
    return dw_dx, dw_dy


def second_partials(x: Tensor, y: Tensor, i: int) -> tuple[Tensor, Tensor]:
    """Return row i of the Hessian blocks: (d/dx (dw/dx_i), d/dy (dw/dx_i))."""
    x, y = _leaf_copy(x), _leaf_copy(y)
    w = torch.dot(x, y) ** 2
    # create_graph=True records how dw/dx was computed, so dw/dx_i can be differentiated.
    (dw_dx,) = torch.autograd.grad(w, x, create_graph=True)
    d2_dx, d2_dy = torch.autograd.grad(dw_dx[i], (x, y))
    return d2_dx, d2_dy


def grads_without_zeroing(x: Tensor, y: Tensor, i: int) -> tuple[Tensor, Tensor]:
    """Run the accumulation experiment and return (x.grad, y.grad) as they stand after it."""
    x, y = _leaf_copy(x), _leaf_copy(y)
    w = torch.dot(x, y) ** 2
    with warnings.catch_warnings():
        # backward(create_graph=True) warns about a parameter/.grad reference cycle; it is
        # exactly the experiment asked for, and the copies die with this call.
        warnings.simplefilter("ignore", UserWarning)
        w.backward(create_graph=True)  # x.grad = dw/dx, and it keeps a grad_fn
        # No zeroing: the second backward *adds* d(dw/dx_i)/dx to x.grad (and to y.grad).
        x.grad[i].backward()
    return x.grad.detach().clone(), y.grad.detach().clone()


def hessian(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Return the (n, n) Hessian of scalar f at 1-D x, one row per double backward."""
    x = _leaf_copy(x)
    (grad,) = torch.autograd.grad(f(x), x, create_graph=True)
    rows = []
    for i in range(x.numel()):
        # retain_graph: the graph of `grad` is reused for every row.
        (row,) = torch.autograd.grad(grad[i], x, retain_graph=True, allow_unused=True)
        rows.append(torch.zeros_like(x) if row is None else row)
    return torch.stack(rows)


def hvp(f: Callable[[Tensor], Tensor], x: Tensor, v: Tensor) -> Tensor:
    """Return H(x) @ v without forming H: the gradient of (grad f . v)."""
    x = _leaf_copy(x)
    (grad,) = torch.autograd.grad(f(x), x, create_graph=True)
    # d/dx (grad(x) . v) = H(x) v, since v is a constant. Memory stays O(n).
    (product,) = torch.autograd.grad(torch.dot(grad, v.detach()), x, allow_unused=True)
    return torch.zeros_like(x) if product is None else product


def gradient_penalty(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Return mean_b ||d f(x)[b] / d x[b]||^2, differentiable w.r.t. f's parameters."""
    x = _leaf_copy(x)
    out = f(x)
    # Rows are independent, so the gradient of out.sum() w.r.t. x holds, in row b,
    # exactly d out[b] / d x[b]. create_graph keeps it differentiable w.r.t. f's weights.
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.pow(2).sum(dim=1).mean()
