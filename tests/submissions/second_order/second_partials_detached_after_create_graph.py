"""A mistake that looks like a missing create_graph: second_partials takes dw/dx with
create_graph=True, then detaches it "so the first graph can be freed", and differentiating
it again fails. The error alone cannot tell this from create_graph=False."""
import torch


def _fresh(t):
    return t.detach().clone().requires_grad_(True)


def first_order_grads(x, y):
    x, y = _fresh(x), _fresh(y)
    return torch.autograd.grad(torch.dot(x, y) ** 2, (x, y))


def second_partials(x, y, i):
    x, y = _fresh(x), _fresh(y)
    (dw_dx,) = torch.autograd.grad(torch.dot(x, y) ** 2, x, create_graph=True)
    dw_dx = dw_dx.detach()  # done with the first graph
    return torch.autograd.grad(dw_dx[i], (x, y))


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
    return torch.autograd.grad(g @ v.detach(), x)[0]


def gradient_penalty(f, x):
    x = _fresh(x)
    (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    return g.pow(2).sum(dim=1).mean()
