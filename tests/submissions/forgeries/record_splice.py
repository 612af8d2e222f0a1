"""Forgery: changes its inputs, reaches the worker's call table through frames, and writes a
stray byte to the record pipe hoping to glue the tampering record to it (control: changes_inputs)."""
import os
import torch
from torch.autograd import grad


def first_order_grads(x, y):
    x.requires_grad_()          # the in-place change the control is caught for
    y.requires_grad_()
    _hide_changes()
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


def _hide_changes():
    import sys
    os.write(3, b"F")           # the hook's next record is spliced onto this "F"
    frame = getattr(sys, "_get" + "frame")(1)   # exactly one audited event -> one record
    while frame is not None:
        calls = getattr(frame, "f_lo" + "cals").get("calls")
        if calls is not None and hasattr(calls, "changes"):
            calls.changes = lambda *args, **kwargs: []
            return
        frame = getattr(frame, "f_ba" + "ck")
