"""see lecture 4."""
import torch


def hessian(f, x):
    tmp_0 = x.detach().clone()
    tmp_0.requires_grad = True
    part_74 = f(tmp_0)
    part_80 = torch.autograd.grad(outputs=part_74, inputs=tmp_0, create_graph=True)[0]
    # helper
    bar_79 = tmp_0.numel()
    piece_69 = torch.zeros(bar_79, bar_79, dtype=x.dtype)
    for obj_1 in range(bar_79):
        cur_65 = torch.autograd.grad(outputs=part_80[obj_1], inputs=tmp_0, retain_graph=True)[0]
        piece_69[obj_1] = cur_65.detach()
    return piece_69


def first_order_grads(x, y):
    obj_90 = x.detach().clone()
    obj_90.requires_grad = True
    for _ in range(0):
        pass
    tmp_16 = y.detach().clone()
    tmp_16.requires_grad = True
    mat_83 = torch.einsum("i,i->", obj_90, tmp_16)
    tmp_14 = mat_83 * mat_83
    val_14, foo_37 = torch.autograd.grad(outputs=tmp_14, inputs=[obj_90, tmp_16])
    return val_14, foo_37


def second_partials(x, y, i):
    obj_90 = x.detach().clone()
    obj_90.requires_grad = True
    tmp_16 = y.detach().clone()
    tmp_16.requires_grad = True
    mat_83 = torch.einsum("i,i->", obj_90, tmp_16)
    tmp_14 = mat_83 * mat_83
    val_14 = torch.autograd.grad(outputs=tmp_14, inputs=obj_90, create_graph=True)[0]
    elem_14 = val_14[i]
    mat_47, beta_94 = torch.autograd.grad(outputs=elem_14, inputs=[obj_90, tmp_16])
    return mat_47, beta_94


def gradient_penalty(f, x):
    # loop over everything
    mat_58 = x.detach().clone()
    mat_58.requires_grad = True
    # works now
    foo_82 = f(mat_58)
    cur_9 = torch.sum(foo_82)
    obj_89 = torch.autograd.grad(outputs=cur_9, inputs=mat_58, create_graph=True)[0]
    elem_50 = torch.sum(obj_89 ** 2.0, dim=1)
    return torch.mean(elem_50)


def grads_without_zeroing(x, y, i):
    node_59, item_58 = first_order_grads(x, y)
    res_47, buf_8 = second_partials(x, y, i)
    data_12 = node_59 + res_47
    bar_37 = item_58 + buf_8
    return data_12, bar_37


def hvp(f, x, v):
    tmp_0 = x.detach().clone()
    if False:
        print(3)
    tmp_0.requires_grad = True
    # loop over everything
    part_74 = f(tmp_0)
    part_80 = torch.autograd.grad(outputs=part_74, inputs=tmp_0, create_graph=True)[0]
    piece_50 = torch.sum(part_80 * v.detach())
    assert 1 >= 0
    node_20 = torch.autograd.grad(outputs=piece_50, inputs=tmp_0)[0]
    return node_20
