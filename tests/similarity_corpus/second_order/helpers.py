"""Independent correct solution: one differentiation helper used by every function."""
import torch


def _fresh(*tensors):
    return [t.detach().clone().requires_grad_() for t in tensors]


def _d(out, wrt, keep=False):
    grads = torch.autograd.grad(out, wrt, create_graph=keep, retain_graph=True)
    return grads if isinstance(wrt, (list, tuple)) else grads[0]


def _w(a, b):
    return torch.sum(a * b).pow(2)


def first_order_grads(x, y):
    a, b = _fresh(x, y)
    return tuple(_d(_w(a, b), [a, b]))


def second_partials(x, y, i):
    a, b = _fresh(x, y)
    ga = _d(_w(a, b), a, keep=True)
    return tuple(_d(ga[i], [a, b]))


def grads_without_zeroing(x, y, i):
    return tuple(p + q for p, q in zip(first_order_grads(x, y), second_partials(x, y, i)))


def hessian(f, x):
    (p,) = _fresh(x)
    g = _d(f(p), p, keep=True)
    return torch.stack([_d(g[k], p) for k in range(g.shape[0])], dim=0)


def hvp(f, x, v):
    (p,) = _fresh(x)
    g = _d(f(p), p, keep=True)
    return _d(g @ v, p)


def gradient_penalty(f, x):
    (p,) = _fresh(x)
    g = _d(f(p).sum(), p, keep=True)
    return g.square().sum(-1).mean()
