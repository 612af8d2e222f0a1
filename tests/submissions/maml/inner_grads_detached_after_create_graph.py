"""A mistake: inner_update takes the gradients with create_graph=True, then detaches them
"to save memory": the meta-gradient loses its second-order term."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

Task = tuple[Tensor, Tensor, Tensor, Tensor]


# --- given helpers (identical in the student stub) -----------------------------------------


def init_params(hidden: int = 40, generator: torch.Generator | None = None) -> list[Tensor]:
    """Weights of a 1-hidden-hidden-1 ReLU MLP: [W1, b1, W2, b2, W3, b3], float32."""
    shapes = [((hidden, 1), 1), ((hidden,), 1), ((hidden, hidden), hidden),
              ((hidden,), hidden), ((1, hidden), hidden), ((1,), hidden)]
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


def sample_tasks(n_tasks: int, k_support: int, k_query: int,
                 generator: torch.Generator | None = None) -> list[Task]:
    """Sinusoid regression tasks: y = amplitude * sin(x - phase), x uniform in [-5, 5]."""
    tasks = []
    for _ in range(n_tasks):
        amplitude = 0.1 + 4.9 * torch.rand((), generator=generator)
        phase = math.pi * torch.rand((), generator=generator)
        x = 10 * torch.rand(k_support + k_query, 1, generator=generator) - 5
        y = amplitude * torch.sin(x - phase)
        tasks.append((x[:k_support], y[:k_support], x[k_support:], y[k_support:]))
    return tasks


def inner_update(params, loss, lr, first_order=False):
    grads = torch.autograd.grad(loss, params, create_graph=not first_order)
    grads = [g.detach() for g in grads]  # the graph is not needed any more
    return [p - lr * g for p, g in zip(params, grads)]


def adapt(params, x_support, y_support, lr, steps, first_order=False):
    adapted = list(params)
    for _ in range(steps):
        loss = F.mse_loss(forward(adapted, x_support), y_support)
        adapted = inner_update(adapted, loss, lr, first_order)
    return adapted


def meta_loss(params, tasks, inner_lr, inner_steps, first_order=False):
    losses = []
    for x_s, y_s, x_q, y_q in tasks:
        adapted = adapt(params, x_s, y_s, inner_lr, inner_steps, first_order)
        losses.append(F.mse_loss(forward(adapted, x_q), y_q))
    return torch.stack(losses).mean()


def meta_train(params, meta_steps, *, meta_batch_size=4, inner_lr=0.01, outer_lr=0.001,
               inner_steps=1, k_shot=10, generator=None):
    phi = [p.detach().clone().requires_grad_(True) for p in params]
    opt = torch.optim.Adam(phi, lr=outer_lr)
    for _ in range(meta_steps):
        batch = sample_tasks(meta_batch_size, k_shot, k_shot, generator)
        opt.zero_grad()
        meta_loss(phi, batch, inner_lr, inner_steps).backward()
        opt.step()
    return [p.detach() for p in phi]
