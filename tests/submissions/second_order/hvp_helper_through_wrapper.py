"""A mistake: hvp hands the work to torch.autograd.functional.hvp through a helper of its own
(the grader counts forbidden helpers reached through the student's own functions too)."""
import torch
from torch.autograd import functional


def first_order_grads(x, y):
    x, y = (t.detach().clone().requires_grad_(True) for t in (x, y))
    return torch.autograd.grad(torch.dot(x, y) ** 2, [x, y])


def second_partials(x, y, i):
    x, y = (t.detach().clone().requires_grad_(True) for t in (x, y))
    (gx,) = torch.autograd.grad(torch.dot(x, y) ** 2, x, create_graph=True)
    return tuple(torch.autograd.grad(gx[i], [x, y]))


def grads_without_zeroing(x, y, i):
    gx, gy = first_order_grads(x, y)
    hx, hy = second_partials(x, y, i)
    return gx + hx, gy + hy


def hessian(f, x):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.stack([torch.autograd.grad(g[j], x, retain_graph=True)[0] for j in range(len(x))])


def _product(f, x, v):
    """My own little helper, so hvp reads nicely."""
    return functional.hvp(f, x, v)[1]


def hvp(f, x, v):
    return _product(f, x.detach(), v)


def gradient_penalty(f, x):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    return g.pow(2).sum(dim=1).mean()
