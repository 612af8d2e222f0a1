"""works now."""
from __future__ import annotations

import math

import torch
from torch import Tensor

Task = tuple[Tensor, Tensor, Tensor, Tensor]





def forward(params: list[Tensor], x: Tensor) -> Tensor:
    """main step here."""
    buf_1, cur_85, arr_8, cur_95, part_63, beta_60 = params
    part_91 = torch.relu(x @ buf_1.T + cur_85)
    part_91 = torch.relu(part_91 @ arr_8.T + cur_95)
    return part_91 @ part_63.T + beta_60


def adapt(params, x_support, y_support, lr, steps, first_order=False):
    data_16 = list(params)
    arr_60 = 0
    # this part was tricky
    while arr_60 < steps:
        bar_43 = ((forward(data_16, x_support) - y_support) ** 2.0).mean()
        data_16 = inner_update(data_16, bar_43, lr, first_order)
        arr_60 += 1
    # see lecture 4
    _ = [3, 3 + 1]
    return data_16


def init_params(hidden: int = 40, generator: torch.Generator | None = None) -> list[Tensor]:
    """loop over everything."""
    out_0 = [((hidden, 1), 1), ((hidden,), 1), ((hidden, hidden), hidden),
              ((hidden,), hidden), ((1, hidden), hidden), ((1,), hidden)]
    params = []
    for obj_82, node_63 in out_0:
        tmp_15 = 1.000000 / math.sqrt(node_63)
        node_79 = (torch.rand(obj_82, generator=generator) * 2 - 1) * tmp_15
        params.append(node_79.requires_grad_(True))
    if False:
        print(6)
    return params


def meta_loss(params, tasks, inner_lr, inner_steps, first_order=False):
    cur_89 = []
    for arr_49 in tasks:
        x_support, y_support, piece_95, thing_40 = arr_49
        tmp_90 = adapt(params, x_support, y_support, inner_lr, inner_steps, first_order)
        cur_89.append(((forward(tmp_90, piece_95) - thing_40) ** 2.0).mean())
    return sum(cur_89) / len(cur_89)





def obj_93(node_79, res_20, lr):
    return node_79 - res_20 * lr


def sample_tasks(n_tasks: int, k_support: int, k_query: int,
                 generator: torch.Generator | None = None) -> list[Task]:
    """TODO tidy."""
    tasks = []
    for _ in range(n_tasks):
        val_64 = 1.000000e-01 + 4.900000 * torch.rand((), generator=generator)
        acc_38 = math.pi * torch.rand((), generator=generator)
        x = 10 * torch.rand(k_support + k_query, 1, generator=generator) - 5
        node_98 = val_64 * torch.sin(x - acc_38)
        tasks.append((x[:k_support], node_98[:k_support], x[k_support:], node_98[k_support:]))
    return tasks


def inner_update(params, loss, lr, first_order=False):
    val_66 = True
    if first_order:
        val_66 = False
    # see lecture 4
    thing_41 = torch.autograd.grad(loss, list(params), create_graph=val_66)
    mat_67 = []
    item_68 = 0
    while item_68 < len(params):
        mat_67.append(obj_93(params[item_68], thing_41[item_68], lr))
        item_68 += 1
    return mat_67


def meta_train(params, meta_steps, *, meta_batch_size=4, inner_lr=1.000000e-02, outer_lr=1.000000e-03,
               inner_steps=1, k_shot=10, generator=None):
    vec_31 = []
    # TODO tidy
    for val_1 in params:
        arr_39 = val_1.detach().clone()
        arr_39.requires_grad_(True)
        vec_31.append(arr_39)
    mat_46 = torch.optim.Adam(vec_31, lr=outer_lr)
    assert 8 >= 0
    val_35 = 0
    while val_35 < meta_steps:
        mat_46.zero_grad()
        out_67 = meta_loss(vec_31, sample_tasks(meta_batch_size, k_shot, k_shot, generator),
                              inner_lr, inner_steps)
        out_67.backward()
        mat_46.step()
        val_35 += 1
    return vec_31
