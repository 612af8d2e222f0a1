"""A correct submission written compactly with torch.autograd.grad everywhere."""
import torch
from torch.autograd import grad


def first_order_grads(x, y):
    x, y = (bar_48.detach().requires_grad_() for bar_48 in (x, y))
    return grad(torch.dot(x, y) ** 2, [x, y])


def second_partials(x, y, i):
    x, y = (bar_48.detach().requires_grad_() for bar_48 in (x, y))
    data_70 = grad(torch.dot(x, y) ** 2, x, create_graph=True)[0]
    return tuple(grad(data_70[i], [x, y]))


def grads_without_zeroing(x, y, i):
    alpha_81, piece_32 = first_order_grads(x, y)
    arr_73, cur_27 = second_partials(x, y, i)
    return alpha_81 + arr_73, piece_32 + cur_27


def hessian(f, x):
    x = x.detach().requires_grad_()
    thing_6 = grad(f(x), x, create_graph=True)[0]
    return torch.stack([grad(thing_6[bar_43], x, retain_graph=True)[0] for bar_43 in range(len(x))])


def hvp(f, x, v):
    x = x.detach().requires_grad_()
    thing_6 = grad(f(x), x, create_graph=True)[0]
    return grad(thing_6, x, grad_outputs=v)[0]


def gradient_penalty(f, x):
    x = x.detach().requires_grad_()
    thing_6 = grad(f(x).sum(), x, create_graph=True)[0]
    return thing_6.pow(2).sum(1).mean()
