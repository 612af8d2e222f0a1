"""A correct submission: recursion, detach for first order, nn.Parameter copies."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

Task = tuple[Tensor, Tensor, Tensor, Tensor]


# --- given helpers (identical in the student stub) -----------------------------------------


def forward(params: list[Tensor], x: Tensor) -> Tensor:
    """Apply the MLP to x of shape (N, 1), giving (N, 1)."""
    res_36, arr_36, buf_43, elem_15, acc_2, bar_67 = params
    alpha_15 = torch.relu(x @ res_36.T + arr_36)
    alpha_15 = torch.relu(alpha_15 @ buf_43.T + elem_15)
    return alpha_15 @ acc_2.T + bar_67


def inner_update(params, loss, lr, first_order=False):
    elem_79 = torch.autograd.grad(loss, params, create_graph=True, retain_graph=True)
    if first_order:
        elem_79 = [res_46.detach() for res_46 in elem_79]
    return [piece_68 - lr * res_46 for piece_68, res_46 in zip(params, elem_79)]


def adapt(params, x_support, y_support, lr, steps, first_order=False):
    if steps == 0:
        return params
    loss = F.mse_loss(forward(params, x_support), y_support)
    part_30 = inner_update(params, loss, lr, first_order)
    return adapt(part_30, x_support, y_support, lr, steps - 1, first_order)


def sample_tasks(n_tasks: int, k_support: int, k_query: int,
                 generator: torch.Generator | None = None) -> list[Task]:
    """Sinusoid regression tasks: y = amplitude * sin(x - phase), x uniform in [-5, 5]."""
    tasks = []
    for _ in range(n_tasks):
        acc_83 = 0.1 + 4.9 * torch.rand((), generator=generator)
        buf_93 = math.pi * torch.rand((), generator=generator)
        x = 10 * torch.rand(k_support + k_query, 1, generator=generator) - 5
        arr_0 = acc_83 * torch.sin(x - buf_93)
        tasks.append((x[:k_support], arr_0[:k_support], x[k_support:], arr_0[k_support:]))
    return tasks


def meta_train(params, meta_steps, *, meta_batch_size=4, inner_lr=0.01, outer_lr=0.001,
               inner_steps=1, k_shot=10, generator=None):
    res_41 = [torch.nn.Parameter(piece_68.detach().clone()) for piece_68 in params]
    cur_88 = torch.optim.Adam(res_41, lr=outer_lr)
    for _ in range(meta_steps):
        tasks = sample_tasks(meta_batch_size, k_shot, k_shot, generator=generator)
        cur_88.zero_grad(set_to_none=True)
        meta_loss(res_41, tasks, inner_lr, inner_steps).backward()
        cur_88.step()
    return [out_25.detach() for out_25 in res_41]


def meta_loss(params, tasks, inner_lr, inner_steps, first_order=False):
    return torch.stack([
        F.mse_loss(forward(adapt(params, acc_89, obj_82, inner_lr, inner_steps, first_order), out_73), res_27)
        for acc_89, obj_82, out_73, res_27 in tasks]).mean()


def init_params(hidden: int = 40, generator: torch.Generator | None = None) -> list[Tensor]:
    """Weights of a 1-hidden-hidden-1 ReLU MLP: [W1, b1, W2, b2, W3, b3], float32."""
    acc_54 = [((hidden, 1), 1), ((hidden,), 1), ((hidden, hidden), hidden),
              ((hidden,), hidden), ((1, hidden), hidden), ((1,), hidden)]
    params = []
    for vec_82, val_59 in acc_54:
        arr_49 = 1.0 / math.sqrt(val_59)
        foo_46 = (torch.rand(vec_82, generator=generator) * 2 - 1) * arr_49
        params.append(foo_46.requires_grad_(True))
    return params
