"""Forgery: a forbidden helper reached around the recorder (control: forbidden_helper)."""
import torch
from torch.autograd import grad


def first_order_grads(x, y):
    x, y = (t.detach().requires_grad_() for t in (x, y))
    return grad(torch.dot(x, y) ** 2, [x, y])


def second_partials(x, y, i):
    x, y = (t.detach().requires_grad_() for t in (x, y))
    gx = grad(torch.dot(x, y) ** 2, x, create_graph=True)[0]
    return tuple(grad(gx[i], [x, y]))


def grads_without_zeroing(x, y, i):
    a, b = first_order_grads(x, y)
    c, d = second_partials(x, y, i)
    return a + c, b + d


def hessian(f, x):
    return torch.autograd.functional.hessian(f, x.detach())


def hvp(f, x, v):
    x = x.detach().requires_grad_()
    g = grad(f(x), x, create_graph=True)[0]
    return grad(g, x, grad_outputs=v)[0]


def gradient_penalty(f, x):
    x = x.detach().requires_grad_()
    g = grad(f(x).sum(), x, create_graph=True)[0]
    return g.pow(2).sum(1).mean()


def _unrecorded_hessian():
    import torch.func
    helper = torch.func.hessian
    original = getattr(helper, "__wr" + "apped__", None)
    if original is None:
        originals = [c for c in getattr(getattr(helper, "__co" + "de__"), "co_" + "consts") if callable(c)]
        original = originals[-1] if originals else None
    if original is None:
        import importlib
        transforms = importlib.import_module("torch._" + "func" + "torch.eager" + "_transforms")
        original = transforms.hessian
    return original


def hessian(f, x):
    return _unrecorded_hessian()(f)(x.detach())
