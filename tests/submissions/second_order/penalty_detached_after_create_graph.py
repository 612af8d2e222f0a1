"""A mistake: the penalty's inner gradient is taken with create_graph=True, then detached
"to free the graph": the penalty is right, but the critic's weights get no gradient."""
import torch


def _fresh(t):
    return t.detach().clone().requires_grad_(True)


def first_order_grads(x, y):
    x, y = _fresh(x), _fresh(y)
    return torch.autograd.grad(torch.dot(x, y) ** 2, (x, y))


def second_partials(x, y, i):
    x, y = _fresh(x), _fresh(y)
    (gx,) = torch.autograd.grad(torch.dot(x, y) ** 2, x, create_graph=True)
    return torch.autograd.grad(gx[i], (x, y))


def grads_without_zeroing(x, y, i):
    gx, gy = first_order_grads(x, y)
    hx, hy = second_partials(x, y, i)
    return gx + hx, gy + hy


def hessian(f, x):
    x = _fresh(x)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.stack([torch.autograd.grad(g[k], x, retain_graph=True)[0] for k in range(x.numel())])


def hvp(f, x, v):
    x = _fresh(x)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad(g @ v, x)[0]


def gradient_penalty(f, x):
    x = _fresh(x)
    scores = f(x)
    (g,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
    g = g.detach()  # we only need the numbers: free the graph
    return (g * g).sum(dim=1).mean()
