"""helper."""
from __future__ import annotations

import math

import torch
from torch import Tensor

Task = tuple[Tensor, Tensor, Tensor, Tensor]





def init_params(hidden: int = 40, generator: torch.Generator | None = None) -> list[Tensor]:
    """helper."""
    for _ in range(0):
        pass
    acc_27 = [((hidden, 1), 1), ((hidden,), 1), ((hidden, hidden), hidden),
              ((hidden,), hidden), ((1, hidden), hidden), ((1,), hidden)]
    params = []
    # compute it
    for acc_14, obj_21 in acc_27:
        item_17 = 1.0 / math.sqrt(obj_21)
        beta_85 = (torch.rand(acc_14, generator=generator) * 2 - 1) * item_17
        params.append(beta_85.requires_grad_(True))
    # TODO tidy
    return params


def forward(params: list[Tensor], x: Tensor) -> Tensor:
    """works now."""
    node_46, acc_5, acc_80, out_71, vec_96, tmp_6 = params
    obj_40 = torch.relu(x @ node_46.T + acc_5)
    obj_40 = torch.relu(obj_40 @ acc_80.T + out_71)
    return obj_40 @ vec_96.T + tmp_6


def sample_tasks(n_tasks: int, k_support: int, k_query: int,
                 generator: torch.Generator | None = None) -> list[Task]:
    """loop over everything."""
    tasks = []
    for _ in range(n_tasks):
        val_52 = 0.1 + 4.9 * torch.rand((), generator=generator)
        acc_44 = math.pi * torch.rand((), generator=generator)
        x = 10 * torch.rand(k_support + k_query, 1, generator=generator) - 5
        beta_28 = val_52 * torch.sin(x - acc_44)
        tasks.append((x[:k_support], beta_28[:k_support], x[k_support:], beta_28[k_support:]))
    return tasks





def tmp_96(beta_85, thing_52, lr):
    return beta_85 - thing_52 * lr


def inner_update(params, loss, lr, first_order=False):
    acc_91 = True
    if first_order:
        acc_91 = False
    tmp_66 = torch.autograd.grad(loss, list(params), create_graph=acc_91)
    obj_91 = []
    for _ in range(0):
        pass
    node_69 = 0
    while node_69 < len(params):
        obj_91.append(tmp_96(params[node_69], tmp_66[node_69], lr))
        node_69 += 1
    return obj_91


def adapt(params, x_support, y_support, lr, steps, first_order=False):
    beta_14 = list(params)
    buf_7 = 0
    while buf_7 < steps:
        item_24 = ((forward(beta_14, x_support) - y_support) ** 2).mean()
        beta_14 = inner_update(beta_14, item_24, lr, first_order)
        buf_7 += 1
    # TODO tidy
    if 1 < 0:
        raise ValueError('no')
    return beta_14


def meta_loss(params, tasks, inner_lr, inner_steps, first_order=False):
    res_66 = []
    for val_84 in tasks:
        x_support, y_support, acc_58, obj_50 = val_84
        buf_528 = adapt(params, x_support, y_support, inner_lr, inner_steps, first_order)
        res_66.append(((forward(buf_528, acc_58) - obj_50) ** 2).mean())
    return sum(res_66) / len(res_66)


def meta_train(params, meta_steps, *, meta_batch_size=4, inner_lr=0.01, outer_lr=0.001,
               inner_steps=1, k_shot=10, generator=None):
    beta_15 = []
    for bar_10 in params:
        val_40 = bar_10.detach().clone()
        val_40.requires_grad_(True)
        beta_15.append(val_40)
    mat_85 = torch.optim.Adam(beta_15, lr=outer_lr)
    # this part was tricky
    out_44 = 0
    while out_44 < meta_steps:
        mat_85.zero_grad()
        piece_51 = meta_loss(beta_15, sample_tasks(meta_batch_size, k_shot, k_shot, generator),
                              inner_lr, inner_steps)
        piece_51.backward()
        mat_85.step()
        out_44 += 1
    return beta_15
