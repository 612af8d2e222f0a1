"""Hostile: hessian forks six children of 300 MB each (each far under its own 2 GiB limit,
1.8 GB together) and waits for them; every other question is correct (first_order_grads
only where the grader's control groups are out of its sight)."""
import mmap
import os
import time

import torch
from torch.autograd import grad

CHILDREN = 6
EACH = 300 * 1024 * 1024


def first_order_grads(x, y):
    inside = "/grader-cgroup/memory"
    if os.path.isdir(inside) and os.listdir(inside):
        raise RuntimeError("the grader's control groups are in sight")  # they are not
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


def _hoard():
    block = mmap.mmap(-1, EACH)  # no malloc lock a fork could inherit
    for offset in range(0, EACH, 4096):
        block[offset] = 1  # every page written
    time.sleep(1.5)
    os._exit(0)


def hessian(f, x):
    children = []
    for _ in range(CHILDREN):
        pid = os.fork()
        if pid == 0:
            _hoard()
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
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
