"""Given: sine-wave regression tasks and the network FOMAML meta-trains. Do not change it.

A task is a sinusoid y = amplitude * sin(x - phase), amplitude in [0.1, 5], phase in [0, pi],
x in [-5, 5]: (x_support, y_support, x_query, y_query), each of shape (k, 1). The network is a
1-hidden-hidden-1 ReLU MLP held as a list of weights [W1, b1, W2, b2, W3, b3], so that it can
be run on any weights: the shared ones or a task's adapted copy.
"""

from __future__ import annotations

import math
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Task = tuple[Tensor, Tensor, Tensor, Tensor]


def init_weights(hidden: int = 40) -> list[nn.Parameter]:
    """The MLP's weights as nn.Linear draws them, from torch's global RNG (seed it first)."""
    sizes = [1, hidden, hidden, 1]
    weights: list[nn.Parameter] = []
    for fan_in, fan_out in pairwise(sizes):
        weights += nn.Linear(fan_in, fan_out).parameters()
    return weights


def forward(weights: list[Tensor], x: Tensor) -> Tensor:
    """The MLP on x of shape (N, 1), with `weights`: gives (N, 1)."""
    w1, b1, w2, b2, w3, b3 = weights
    h = F.relu(F.linear(x, w1, b1))
    h = F.relu(F.linear(h, w2, b2))
    return F.linear(h, w3, b3)


def task_loss(weights: list[Tensor], x: Tensor, y: Tensor) -> Tensor:
    """Mean squared error of the MLP with `weights` on (x, y)."""
    return F.mse_loss(forward(weights, x), y)


def sample_tasks(
    n: int, k_support: int = 10, k_query: int = 10, generator: torch.Generator | None = None
) -> list[Task]:
    """n sine tasks, each with k_support support and k_query query points."""
    tasks = []
    for _ in range(n):
        amplitude = 0.1 + 4.9 * torch.rand((), generator=generator)
        phase = math.pi * torch.rand((), generator=generator)
        x = 10 * torch.rand(k_support + k_query, 1, generator=generator) - 5
        y = amplitude * torch.sin(x - phase)
        tasks.append((x[:k_support], y[:k_support], x[k_support:], y[k_support:]))
    return tasks
