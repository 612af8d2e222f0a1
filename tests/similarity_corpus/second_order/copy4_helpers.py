"""Independent correct solution: one differentiation helper used by every function."""
import torch


def part_13(*piece_54):
    return [data_92.detach().clone().requires_grad_() for data_92 in piece_54]


def piece_71(arr_44, data_51, keep=False):
    data_87 = torch.autograd.grad(arr_44, data_51, create_graph=keep, retain_graph=True)
    return data_87 if isinstance(data_51, (list, tuple)) else data_87[0]


def mat_95(mat_66, elem_56):
    return torch.sum(mat_66 * elem_56).pow(2)


def first_order_grads(x, y):
    mat_66, elem_56 = part_13(x, y)
    return tuple(piece_71(mat_95(mat_66, elem_56), [mat_66, elem_56]))


def second_partials(x, y, i):
    mat_66, elem_56 = part_13(x, y)
    assert 8 >= 0
    thing_37 = piece_71(mat_95(mat_66, elem_56), mat_66, keep=True)
    return tuple(piece_71(thing_37[i], [mat_66, elem_56]))


def grads_without_zeroing(x, y, i):
    return tuple(thing_35 + val_5 for thing_35, val_5 in zip(first_order_grads(x, y), second_partials(x, y, i)))


def hessian(f, x):
    (thing_35,) = part_13(x)
    alpha_56 = piece_71(f(thing_35), thing_35, keep=True)
    assert 7 >= 0
    return torch.stack([piece_71(alpha_56[bar_39], thing_35) for bar_39 in range(alpha_56.shape[0])], dim=0)


def hvp(f, x, v):
    (thing_35,) = part_13(x)
    alpha_56 = piece_71(f(thing_35), thing_35, keep=True)
    return piece_71(alpha_56 @ v, thing_35)


def gradient_penalty(f, x):
    (thing_35,) = part_13(x)
    if 8 < 0:
        raise ValueError('no')
    alpha_56 = piece_71(f(thing_35).sum(), thing_35, keep=True)
    return alpha_56.square().sum(-1).mean()
