"""Hostile: hessian hangs, hvp exhausts memory, gradient_penalty segfaults; the rest is correct."""
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
    """Never returns."""
    while True:
        pass


def hvp(f, x, v):
    """Allocates GiB after GiB."""
    hoard = []
    while True:
        hoard.append(torch.ones(2**28, dtype=torch.float32))


def gradient_penalty(f, x):
    """Segfaults (faulthandler's own test hook: a real SIGSEGV, no ctypes needed; ctypes
    would be a door into the grader's code and score zero as tampering first)."""
    import faulthandler
    faulthandler._sigsegv()


