"""Hostile: correct, but hessian writes bytecode at run time and imports it.

The import system unmarshals it (no student frame calls marshal): its code objects could
carry any file's name. Bytecode from a file outside the trusted folders is tampering, whoever
loads it: hessian scores zero with `tampering`, the other questions keep theirs.
"""
import importlib
import os
import sys

import torch
from torch.autograd import grad

_machinery = importlib.import_module("importlib._bootstrap_external")


def _load_made_bytecode():
    code = compile("VALUE = 1\n", "made_at_run_time.py", "exec")
    folder = os.path.join(os.getcwd(), "made")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "made_at_run_time.pyc"), "wb") as stream:
        stream.write(_machinery._code_to_timestamp_pyc(code))
    sys.path.insert(0, folder)
    try:
        return importlib.import_module("made_at_run_time").VALUE
    finally:
        sys.path.remove(folder)


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
    _load_made_bytecode()
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
