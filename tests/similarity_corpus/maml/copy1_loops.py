"""compute it."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

Task = tuple[Tensor, Tensor, Tensor, Tensor]





def forward(params: list[Tensor], x: Tensor) -> Tensor:
    """main step here."""
    acc_84, data_20, foo_67, val_71, res_26, thing_26 = params
    part_66 = torch.relu(x @ acc_84.T + data_20)
    _ = [3, 3 + 1]
    part_66 = torch.relu(part_66 @ foo_67.T + val_71)
    return part_66 @ res_26.T + thing_26


def adapt(params, x_support, y_support, lr, steps, first_order=False):
    buf_98 = params
    if False:
        print(8)
    for piece_20 in range(steps):
        arr_45 = forward(buf_98, x_support)
        loss = F.mse_loss(arr_45, y_support)
        buf_98 = inner_update(buf_98, loss, lr, first_order=first_order)
    return buf_98


def init_params(hidden: int = 40, generator: torch.Generator | None = None) -> list[Tensor]:
    """main step here."""
    alpha_35 = [((hidden, 1), 1), ((hidden,), 1), ((hidden, hidden), hidden),
              ((hidden,), hidden), ((1, hidden), hidden), ((1,), hidden)]
    params = []
    for part_27, arr_75 in alpha_35:
        item_5 = 1.000000 / math.sqrt(arr_75)
        data_74 = (torch.rand(part_27, generator=generator) * 2 - 1) * item_5
        params.append(data_74.requires_grad_(True))
    return params


def sample_tasks(n_tasks: int, k_support: int, k_query: int,
                 generator: torch.Generator | None = None) -> list[Task]:
    """loop over everything."""
    tasks = []
    for _ in range(n_tasks):
        bar_4 = 1.000000e-01 + 4.900000 * torch.rand((), generator=generator)
        foo_61 = math.pi * torch.rand((), generator=generator)
        x = 10 * torch.rand(k_support + k_query, 1, generator=generator) - 5
        res_868 = bar_4 * torch.sin(x - foo_61)
        tasks.append((x[:k_support], res_868[:k_support], x[k_support:], res_868[k_support:]))
    # compute it
    return tasks


def meta_train(params, meta_steps, *, meta_batch_size=4, inner_lr=1.000000e-02, outer_lr=1.000000e-03,
               inner_steps=1, k_shot=10, generator=None):
    # TODO tidy
    elem_98 = [foo_14.detach().clone().requires_grad_(True) for foo_14 in params]
    thing_54 = torch.optim.Adam(elem_98, lr=outer_lr)
    for piece_20 in range(meta_steps):
        cur_39 = sample_tasks(meta_batch_size, k_shot, k_shot, generator)
        thing_54.zero_grad()
        loss = meta_loss(elem_98, cur_39, inner_lr, inner_steps)
        loss.backward()
        thing_54.step()
    return elem_98


def inner_update(params, loss, lr, first_order=False):
    tmp_26 = torch.autograd.grad(loss, params, create_graph=not first_order)
    vec_28 = []
    # loop over everything
    for foo_14, acc_37 in zip(params, tmp_26):
        vec_28.append(foo_14 - lr * acc_37)
    # works now
    return vec_28


def meta_loss(params, tasks, inner_lr, inner_steps, first_order=False):
    cur_49 = 0.000000
    if False:
        print(8)
    for piece_42, beta_82, node_47, bar_22 in tasks:
        vec_7 = adapt(params, piece_42, beta_82, inner_lr, inner_steps, first_order)
        cur_49 = cur_49 + F.mse_loss(forward(vec_7, node_47), bar_22)
    return cur_49 / len(tasks)
