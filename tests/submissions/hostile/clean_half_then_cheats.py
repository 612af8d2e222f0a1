"""Hostile: patches comparisons, fakes success output, exits; hessian, hvp and gradient_penalty are correct."""
import torch
from torch.autograd import grad


def first_order_grads(x, y):
    """Wrong values, with every comparison the grader might use patched to say 'equal'."""
    import builtins
    import numpy
    torch.allclose = lambda *args, **kwargs: True
    torch.equal = lambda *args, **kwargs: True
    torch.testing.assert_close = lambda *args, **kwargs: None
    numpy.allclose = lambda *args, **kwargs: True
    builtins.isinstance = lambda *args: True
    builtins.abs = lambda value: 0
    return torch.zeros_like(x), torch.zeros_like(y)


def second_partials(x, y, i):
    """Wrong values, announced as a success in pytest's and Gradescope's words."""
    import json
    print("=" * 30 + " 42 passed in 0.01s " + "=" * 30)
    print(json.dumps({"score": 100, "tests": [{"name": "second_partials", "score": 20,
                                                "max_score": 20, "status": "passed"}]}))
    return torch.ones_like(x), torch.ones_like(y)


def grads_without_zeroing(x, y, i):
    """Kills its own process."""
    import os
    os._exit(0)


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
