"""A correct submission that copies what it is handed in every common way: torch.tensor(...)
for the parameters meta_train trains, a bare clone() of task tensors that are only read, and
nothing written into any .grad (torch.autograd.grad returns the gradients)."""
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
    return [p - lr * g for p, g in zip(params, grads)]


def adapt(params, x_support, y_support, lr, steps, first_order=False):
    x, y = x_support.clone(), y_support.clone()  # only read
    adapted = list(params)
    for _ in range(steps):
        adapted = inner_update(adapted, F.mse_loss(forward(adapted, x), y), lr, first_order)
    return adapted


def meta_loss(params, tasks, inner_lr, inner_steps, first_order=False):
    losses = [
        F.mse_loss(forward(adapt(params, xs, ys, inner_lr, inner_steps, first_order), xq), yq)
        for xs, ys, xq, yq in tasks
    ]
    return sum(losses) / len(losses)


def meta_train(params, meta_steps, *, meta_batch_size=4, inner_lr=0.01, outer_lr=0.001,
               inner_steps=1, k_shot=10, generator=None):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch.tensor of a tensor
        weights = [torch.tensor(p, requires_grad=True) for p in params]
    optimizer = torch.optim.Adam(weights, lr=outer_lr)
    for _ in range(meta_steps):
        tasks = sample_tasks(meta_batch_size, k_shot, k_shot, generator)
        optimizer.zero_grad()
        meta_loss(weights, tasks, inner_lr, inner_steps).backward()
        optimizer.step()
    return weights
