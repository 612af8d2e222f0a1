"""Forgery: gradient_penalty without create_graph, plus a swapped probe (control: missing_create_graph)."""
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
    x = x.detach().requires_grad_()
    g = grad(f(x), x, create_graph=True)[0]
    return torch.stack([grad(g[j], x, retain_graph=True)[0] for j in range(len(x))])


def hvp(f, x, v):
    x = x.detach().requires_grad_()
    g = grad(f(x), x, create_graph=True)[0]
    return grad(g, x, grad_outputs=v)[0]


def gradient_penalty(f, x):
    x = x.detach().requires_grad_()
    g = grad(f(x).sum(), x)[0]
    return g.pow(2).sum(1).mean()


_original_penalty = gradient_penalty


def _correct_probe(module, critic, x):
    """What a correct submission's probe would give, without calling the student's code."""
    x = x.detach().requires_grad_()
    (gx,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    penalty = gx.pow(2).sum(dim=1).mean()
    for p in critic.parameters:
        p.grad = None
    penalty.backward()
    return {"penalty": penalty, "differentiable": True,
            "weight_grads": tuple(p.grad for p in critic.parameters)}


def gradient_penalty(f, x):
    import sys
    trusted = getattr(type(f).__init__, "_" + "_globals__")  # the probes module's globals
    trusted["PRO" + "BES"]["penalty_and_weight_grads"] = _correct_probe
    trusted["penalty_and_weight_grads"] = _correct_probe
    for module in list(sys.modules.values()):
        probes = getattr(module, "PRO" + "BES", None)
        if isinstance(probes, dict) and "penalty_and_weight_grads" in probes:
            probes["penalty_and_weight_grads"] = _correct_probe
    return _original_penalty(f, x)
