"""Hostile: hvp forks two children of 300 MB each, then takes 700 MB itself (each process
far under its own 2 GiB limit): the question's own process is the largest in its group, so
the kernel kills it; every other question is correct."""
import mmap
import os
import time

import torch
from torch.autograd import grad

MB = 1024 * 1024


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
    x = x.detach().requires_grad_()
    g = grad(f(x), x, create_graph=True)[0]
    return torch.stack([grad(g[j], x, retain_graph=True)[0] for j in range(len(x))])


def _touch(size):
    """Memory of its own, every page written (mmap: no malloc lock a fork could inherit)."""
    block = mmap.mmap(-1, size)
    for offset in range(0, size, 4096):
        block[offset] = 1
    return block


def hvp(f, x, v):
    ready, told = os.pipe()
    for _ in range(2):
        if os.fork() == 0:
            hold = _touch(300 * MB)  # kept while it sleeps
            os.write(told, b"+")
            time.sleep(30)
            os._exit(0 if hold else 1)
    os.read(ready, 1), os.read(ready, 1)  # both children hold their 300 MB
    hoard = _touch(700 * MB)
    x = x.detach().requires_grad_()
    g = grad(f(x), x, create_graph=True)[0]
    return grad(g, x, grad_outputs=v)[0] + 0 * len(hoard)


def gradient_penalty(f, x):
    x = x.detach().requires_grad_()
    g = grad(f(x).sum(), x, create_graph=True)[0]
    return g.pow(2).sum(1).mean()
