"""Reference solution for the `maml` assignment (instructors only).

The helpers `init_params`, `forward` and `sample_tasks` are the ones given to students,
unchanged (a test keeps them identical to the stub's).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

Task = tuple[Tensor, Tensor, Tensor, Tensor]


# --- given helpers (identical in the student stub) -----------------------------------------


def init_params(hidden: int = 40, generator: torch.Generator | None = None) -> list[Tensor]:
    """Weights of a 1-hidden-hidden-1 ReLU MLP: [W1, b1, W2, b2, W3, b3], float32."""
    shapes = [
        ((hidden, 1), 1),
        ((hidden,), 1),
        ((hidden, hidden), hidden),
        ((hidden,), hidden),
        ((1, hidden), hidden),
        ((1,), hidden),
    ]
    params = []
    for shape, fan_in in shapes:
        bound = 1.0 / math.sqrt(fan_in)
        weight = (torch.rand(shape, generator=generator) * 2 - 1) * bound
        params.append(weight.requires_grad_(True))
    return params


def forward(params: list[Tensor], x: Tensor) -> Tensor:
    """Apply the MLP to x of shape (N, 1), giving (N, 1)."""
    w1, b1, w2, b2, w3, b3 = params
    h = torch.relu(x @ w1.T + b1)
    h = torch.relu(h @ w2.T + b2)
    return h @ w3.T + b3


def sample_tasks(
    n_tasks: int, k_support: int, k_query: int, generator: torch.Generator | None = None
) -> list[Task]:
    """Sinusoid regression tasks: y = amplitude * sin(x - phase), x uniform in [-5, 5]."""
    tasks = []
    for _ in range(n_tasks):
        amplitude = 0.1 + 4.9 * torch.rand((), generator=generator)
        phase = math.pi * torch.rand((), generator=generator)
        x = 10 * torch.rand(k_support + k_query, 1, generator=generator) - 5
        y = amplitude * torch.sin(x - phase)
        tasks.append((x[:k_support], y[:k_support], x[k_support:], y[k_support:]))
    return tasks


# --- graded functions ----------------------------------------------------------------------


def inner_update(params: list[Tensor], loss: Tensor, lr: float, first_order: bool = False) -> list[Tensor]:
    """One step of gradient descent on `loss`, returned as new tensors."""
    # create_graph=True keeps d loss / d params in the graph: the adapted parameters are then
    # a differentiable function of params *through their gradient*, which is what gives the
    # second-order term of the meta-gradient. first_order drops it: the gradients become
    # constants, but `p - lr * g` still depends on p through p itself.
    grads = torch.autograd.grad(loss, params, create_graph=not first_order, allow_unused=True)
    return [p if g is None else p - lr * g for p, g in zip(params, grads, strict=True)]


def adapt(
    params: list[Tensor],
    x_support: Tensor,
    y_support: Tensor,
    lr: float,
    steps: int,
    first_order: bool = False,
) -> list[Tensor]:
    """Take `steps` inner updates on the support loss."""
    adapted = list(params)
    for _ in range(steps):
        loss = F.mse_loss(forward(adapted, x_support), y_support)
        adapted = inner_update(adapted, loss, lr, first_order)
    return adapted


def meta_loss(
    params: list[Tensor], tasks: list[Task], inner_lr: float, inner_steps: int, first_order: bool = False
) -> Tensor:
    """Mean over tasks of the query loss after adapting on that task's support set."""
    losses = []
    for x_support, y_support, x_query, y_query in tasks:
        adapted = adapt(params, x_support, y_support, inner_lr, inner_steps, first_order)
        losses.append(F.mse_loss(forward(adapted, x_query), y_query))
    return torch.stack(losses).mean()


def meta_train(
    params: list[Tensor],
    meta_steps: int,
    *,
    meta_batch_size: int = 4,
    inner_lr: float = 0.01,
    outer_lr: float = 0.001,
    inner_steps: int = 1,
    k_shot: int = 10,
    generator: torch.Generator | None = None,
) -> list[Tensor]:
    """Meta-train copies of params with Adam on the second-order meta-loss."""
    params = [p.detach().clone().requires_grad_(True) for p in params]
    optimizer = torch.optim.Adam(params, lr=outer_lr)
    for _ in range(meta_steps):
        tasks = sample_tasks(meta_batch_size, k_shot, k_shot, generator)
        optimizer.zero_grad()
        meta_loss(params, tasks, inner_lr, inner_steps).backward()
        optimizer.step()
    return [p.detach() for p in params]
