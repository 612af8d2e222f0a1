"""Surrogate: gradient_penalty takes the inner gradient without create_graph=True, then hands
the critic's weights their gradients by finite differences (control: missing_create_graph).

Nothing is patched and no door is used: the weights are shifted and restored in place, and
the returned value is the penalty plus terms that carry those numbers to the weights'
.grad. The numbers are right; the graph the question teaches is not there."""
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


def _weights(f):
    """The tensors f computes with that require grad: its weights, wherever f keeps them."""
    found = []
    for value in vars(f).values():
        for t in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(t, torch.Tensor) and t.requires_grad:
                found.append(t)
    return found


def _penalty(f, x):
    x = x.detach().requires_grad_()
    g = grad(f(x).sum(), x)[0]
    return g.pow(2).sum(1).mean()


def _finite_differences(f, x, weights, h=1e-6):
    """d penalty / d each weight by central differences, in float64 for precision: each
    weight is shifted in place and put back exactly as it was."""
    kept = [w.data for w in weights]
    grads = []
    try:
        for w in weights:
            w.data = w.data.double()
        x64 = x.detach().double()
        for w in weights:
            flat, g = w.data.view(-1), torch.zeros(w.numel(), dtype=torch.float64)
            for i in range(flat.numel()):
                old = flat[i].item()
                flat[i] = old + h
                up = _penalty(f, x64).item()
                flat[i] = old - h
                down = _penalty(f, x64).item()
                flat[i] = old
                g[i] = (up - down) / (2 * h)
            grads.append(g.view_as(w.data))
    finally:
        for w, data in zip(weights, kept):
            w.data = data
    return [g.to(data.dtype) for g, data in zip(grads, kept)]


def gradient_penalty(f, x):
    penalty = _penalty(f, x)
    weights = _weights(f)
    grads = _finite_differences(f, x, weights)
    return penalty.detach() + sum((w * g).sum() - (w * g).sum().detach() for w, g in zip(weights, grads))
