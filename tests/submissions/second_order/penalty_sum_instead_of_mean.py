"""A mistake: gradient_penalty sums the squared gradient norms over the batch instead of
averaging them (the WGAN-GP penalty is a mean over the batch), so it is B times too large."""
import torch


def _leaf(t):
    return t.detach().clone().requires_grad_(True)


def first_order_grads(x, y):
    x, y = _leaf(x), _leaf(y)
    w = (x * y).sum() ** 2
    w.backward()
    return x.grad, y.grad


def second_partials(x, y, i):
    x, y = _leaf(x), _leaf(y)
    w = (x * y).sum() ** 2
    w.backward(create_graph=True)
    first = x.grad[i]
    x.grad = None
    y.grad = None
    first.backward()
    return x.grad.detach(), y.grad.detach()


def grads_without_zeroing(x, y, i):
    x, y = _leaf(x), _leaf(y)
    w = (x * y).sum() ** 2
    w.backward(create_graph=True)
    x.grad[i].backward()
    return x.grad.detach(), y.grad.detach()


def hessian(f, x):
    n = x.shape[0]
    rows = []
    for j in range(n):
        leaf = _leaf(x)
        (g,) = torch.autograd.grad(f(leaf), leaf, create_graph=True)
        g[j].backward()
        rows.append(leaf.grad.detach())
    return torch.stack(rows)


def hvp(f, x, v):
    leaf = _leaf(x)
    (g,) = torch.autograd.grad(f(leaf), leaf, create_graph=True)
    (g * v.detach()).sum().backward()  # v is a constant here: its own .grad stays as it came
    return leaf.grad.detach()


def gradient_penalty(f, x):
    x = _leaf(x)
    out = f(x)
    (g,) = torch.autograd.grad(out, x, grad_outputs=torch.ones_like(out), create_graph=True)
    return (g ** 2).sum(dim=1).sum()
