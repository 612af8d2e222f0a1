"""Homework: MAML, meta-learning through the inner step.

Each task is a sinusoid y = amplitude * sin(x - phase). MAML learns an initialisation phi of
a small network such that ONE gradient step on a task's few support points already fits
that task well. For each task i:

    inner step:  theta_i = phi - lr * grad_phi loss_i(support; phi)
    meta-loss:   L(phi) = mean_i loss_i(query; theta_i)

theta_i depends on phi twice: through phi itself and through grad_phi loss_i. To update phi
with dL/dphi, autograd must differentiate *through that gradient*: the inner gradient has to
be computed with ``create_graph=True``. Dropping that second-order term (treating the inner
gradient as a constant) gives first-order MAML, a cheaper approximation.

All losses are mean squared error: ``torch.nn.functional.mse_loss`` with mean reduction.
Leave everything you are handed as it came: parameters and task tensors may arrive requiring
grad or not, holding a .grad or not, and none of that may change (take gradients with
``torch.autograd.grad``, train copies made with ``p.detach().clone().requires_grad_(True)``).
The helpers below are given: use them, and do not change them. Run ``grader check``.
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


def inner_update(params: list[Tensor], loss: Tensor, lr: float,
                 first_order: bool = False) -> list[Tensor]:
    """Return a NEW list [p - lr * dloss/dp for p in params]: one gradient-descent step.

    Get the gradients with ``torch.autograd.grad(loss, params, create_graph=...)``.
    With first_order=False keep them in the graph (``create_graph=True``): the result is then
    differentiable twice with respect to params, which the meta-gradient needs. With
    first_order=True treat them as constants; the result still depends on params through
    the p term. Never change params or their .grad in place (no ``p -= ...``, no
    ``optimizer.step()``): the caller's initialisation must survive the inner loop.
    """
    raise NotImplementedError("inner_update")


def adapt(params: list[Tensor], x_support: Tensor, y_support: Tensor, lr: float, steps: int,
          first_order: bool = False) -> list[Tensor]:
    """Return the parameters after `steps` successive inner updates on the support loss.

    The support loss is ``F.mse_loss(forward(p, x_support), y_support)``, recomputed with the
    current parameters before every step. With steps == 0, return params unchanged.
    """
    raise NotImplementedError("adapt")


def meta_loss(params: list[Tensor], tasks: list[Task], inner_lr: float, inner_steps: int,
              first_order: bool = False) -> Tensor:
    """Return the scalar mean over tasks of the query loss after adaptation.

    For each task (x_support, y_support, x_query, y_query): adapt params on the support set,
    then take ``F.mse_loss(forward(adapted, x_query), y_query)``. Average (not sum) over
    tasks. The gradient of this value with respect to params is the meta-gradient: it flows
    through the adapted parameters, and through the inner gradient unless first_order.
    """
    raise NotImplementedError("meta_loss")


def meta_train(params: list[Tensor], meta_steps: int, *, meta_batch_size: int = 4,
               inner_lr: float = 0.01, outer_lr: float = 0.001, inner_steps: int = 1,
               k_shot: int = 10, generator: torch.Generator | None = None) -> list[Tensor]:
    """Meta-train COPIES of params for meta_steps Adam steps and return them.

    Each step: draw a fresh batch ``sample_tasks(meta_batch_size, k_shot, k_shot, generator)``,
    compute meta_loss on it (second-order), backpropagate, and step an Adam optimizer with
    learning rate outer_lr. Leave the caller's params unchanged. A good run brings the loss on
    new tasks, after one adaptation step, well below that of the untrained network.
    """
    raise NotImplementedError("meta_train")
