"""Surrogate: inner_update never keeps the inner gradient in the graph (always first-order),
and meta_loss hides it by handing params the second-order meta-gradient, its Hessian-vector
products taken by finite differences of plain gradients (control: first_order_only).

Nothing is patched and no door is used: the returned value is the meta-loss plus terms that
carry those numbers to the parameters' gradient. The numbers are right; the graph through the
inner step is not there. meta_train trains on the plain first-order meta-loss, which is fast."""
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
    grads = torch.autograd.grad(loss, params, create_graph=False)
    new_params = []
    for p, g in zip(params, grads):
        new_params.append(p - lr * g)
    return new_params


def adapt(params, x_support, y_support, lr, steps, first_order=False):
    current = params
    for step in range(steps):
        prediction = forward(current, x_support)
        loss = F.mse_loss(prediction, y_support)
        current = inner_update(current, loss, lr, first_order=first_order)
    return current


def _plain_meta_loss(params, tasks, inner_lr, inner_steps, first_order=False):
    total = 0.0
    for x_s, y_s, x_q, y_q in tasks:
        adapted = adapt(params, x_s, y_s, inner_lr, inner_steps, first_order)
        total = total + F.mse_loss(forward(adapted, x_q), y_q)
    return total / len(tasks)


def _gradient(params, x, y):
    """The plain gradient of mse(forward(params, x), y): no graph kept."""
    with torch.enable_grad():
        params = [p.detach().requires_grad_(True) for p in params]
        return torch.autograd.grad(F.mse_loss(forward(params, x), y), params)


def _hessian_times(params, x, y, v, h=1e-6):
    """H v for the loss on (x, y) at params, by a central difference of two plain gradients
    along v: no gradient of a gradient anywhere."""
    norm = math.sqrt(sum(float((t * t).sum()) for t in v))
    if norm == 0:
        return [torch.zeros_like(t) for t in v]
    step = h / norm
    up = _gradient([p + step * t for p, t in zip(params, v)], x, y)
    down = _gradient([p - step * t for p, t in zip(params, v)], x, y)
    return [(a - b) / (2 * step) for a, b in zip(up, down)]


def _second_order_gradient(params, task, inner_lr, inner_steps):
    """One task's meta-gradient, in float64: the query gradient at the adapted parameters,
    carried back through each inner step as (I - lr H) v."""
    x_s, y_s, x_q, y_q = (t.detach().double() for t in task)
    path = [[p.detach().double() for p in params]]
    for _ in range(inner_steps):
        grads = _gradient(path[-1], x_s, y_s)
        path.append([p - inner_lr * g for p, g in zip(path[-1], grads)])
    v = _gradient(path[-1], x_q, y_q)
    for theta in reversed(path[:-1]):
        v = [a - inner_lr * b for a, b in zip(v, _hessian_times(theta, x_s, y_s, v))]
    return v


def meta_loss(params, tasks, inner_lr, inner_steps, first_order=False):
    loss = _plain_meta_loss(params, tasks, inner_lr, inner_steps, first_order)
    if first_order or inner_steps == 0:
        return loss  # right as it is
    per_task = [_second_order_gradient(params, task, inner_lr, inner_steps) for task in tasks]
    grads = [sum(parts) / len(tasks) for parts in zip(*per_task)]
    carried = [(p * g.to(p.dtype)).sum() for p, g in zip(params, grads)]
    return loss.detach() + sum(c - c.detach() for c in carried)


def meta_train(params, meta_steps, *, meta_batch_size=4, inner_lr=0.01, outer_lr=0.001,
               inner_steps=1, k_shot=10, generator=None):
    phi = [p.detach().clone().requires_grad_(True) for p in params]
    opt = torch.optim.Adam(phi, lr=outer_lr)
    for step in range(meta_steps):
        batch = sample_tasks(meta_batch_size, k_shot, k_shot, generator)
        opt.zero_grad()
        loss = _plain_meta_loss(phi, batch, inner_lr, inner_steps)
        loss.backward()
        opt.step()
    return phi
