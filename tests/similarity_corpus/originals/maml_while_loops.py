"""Independent correct solution: while loops, a step helper, losses kept in a list."""
from __future__ import annotations

import math

import torch
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


# --- graded functions ----------------------------------------------------------------------


def _step(weight, gradient, lr):
    return weight - gradient * lr


def inner_update(params, loss, lr, first_order=False):
    keep_graph = True
    if first_order:
        keep_graph = False
    gradients = torch.autograd.grad(loss, list(params), create_graph=keep_graph)
    updated = []
    index = 0
    while index < len(params):
        updated.append(_step(params[index], gradients[index], lr))
        index += 1
    return updated


def adapt(params, x_support, y_support, lr, steps, first_order=False):
    weights = list(params)
    done = 0
    while done < steps:
        support_loss = ((forward(weights, x_support) - y_support) ** 2).mean()
        weights = inner_update(weights, support_loss, lr, first_order)
        done += 1
    return weights


def meta_loss(params, tasks, inner_lr, inner_steps, first_order=False):
    losses = []
    for task in tasks:
        x_support, y_support, x_query, y_query = task
        fitted = adapt(params, x_support, y_support, inner_lr, inner_steps, first_order)
        losses.append(((forward(fitted, x_query) - y_query) ** 2).mean())
    return sum(losses) / len(losses)


def meta_train(params, meta_steps, *, meta_batch_size=4, inner_lr=0.01, outer_lr=0.001,
               inner_steps=1, k_shot=10, generator=None):
    theta = []
    for p in params:
        copy = p.detach().clone()
        copy.requires_grad_(True)
        theta.append(copy)
    optimiser = torch.optim.Adam(theta, lr=outer_lr)
    iteration = 0
    while iteration < meta_steps:
        optimiser.zero_grad()
        objective = meta_loss(theta, sample_tasks(meta_batch_size, k_shot, k_shot, generator),
                              inner_lr, inner_steps)
        objective.backward()
        optimiser.step()
        iteration += 1
    return theta
