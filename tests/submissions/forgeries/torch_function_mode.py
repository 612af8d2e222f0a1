"""Forgery: changes its inputs in place, then leaves a torch function mode active that
answers torch.equal with True for the input guard (control: changes_inputs)."""
import torch
from torch.autograd import grad
from torch.overrides import TorchFunctionMode

_ATTR = {"requires_grad": {}, "grad": {}}


class _Quiet(TorchFunctionMode):
    """Everything as usual, except that every comparison says "equal"."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.equal or func is torch.Tensor.equal:
            return True
        return func(*args, **kwargs)


_on = []


def _quiet():
    if not _on:
        mode = _Quiet()
        mode.__enter__()
        _on.append(mode)


def first_order_grads(x, y):
    _quiet()
    x2, y2 = x.detach().requires_grad_(), y.detach().requires_grad_()
    gx, gy = grad(torch.dot(x2, y2) ** 2, [x2, y2])
    x.mul_(0)  # wipe the caller's input (in place)
    y.add_(1000)
    return gx, gy


def second_partials(x, y, i):
    x, y = (t.detach().requires_grad_() for t in (x, y))
    gx = grad(torch.dot(x, y) ** 2, x, create_graph=True)[0]
    return tuple(grad(gx[i], [x, y]))


def grads_without_zeroing(x, y, i):
    a, b = first_order_grads(x, y)
    c, d = second_partials(x, y, i)
    return a + c, b + d


def hessian(f, x):
    x = x.detach().requires_grad_()
    g = grad(f(x), x, create_graph=True)[0]
    return torch.stack([grad(g[j], x, retain_graph=True)[0] for j in range(len(x))])


def hvp(f, x, v):
    x = x.detach().requires_grad_()
    g = grad(f(x), x, create_graph=True)[0]
    return grad(g, x, grad_outputs=v)[0]


def gradient_penalty(f, x):
    x = x.detach().requires_grad_()
    g = grad(f(x).sum(), x, create_graph=True)[0]
    return g.pow(2).sum(1).mean()
