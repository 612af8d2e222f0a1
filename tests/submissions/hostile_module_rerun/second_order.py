"""Attack: fresh, unrecorded copies of the forbidden helpers, by running the module that
defines them a second time: hessian through importlib.reload (restoring the module's
__loader__ and __spec__ so that the dict watch sees only torch's own functions rebound), hvp
through a second copy loaded from the same file under another name (control: a submission
calling the helpers directly; see forbidden_helper).
"""
import importlib
import importlib.util

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


def _reloaded():
    functional = torch.autograd.functional
    loader, spec = functional.__loader__, functional.__spec__
    importlib.reload(functional)
    functional.__loader__, functional.__spec__ = loader, spec
    return functional


def _second_copy():
    spec = importlib.util.spec_from_file_location("torch.autograd._fresh_functional",
                                                  torch.autograd.functional.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hessian(f, x):
    return _reloaded().hessian(f, x.detach())


def hvp(f, x, v):
    return _second_copy().hvp(f, x.detach(), v.detach())[1]


def gradient_penalty(f, x):
    x = x.detach().requires_grad_()
    g = grad(f(x).sum(), x, create_graph=True)[0]
    return g.pow(2).sum(1).mean()
