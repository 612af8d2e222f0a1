"""A mistake: copies made with x.clone().requires_grad_(), no detach. When the caller's x
itself requires grad, the clone is not a leaf: backward() writes into the caller's x.grad and
the copy's .grad stays None."""
import torch


def _copy(t):
    return t.clone().requires_grad_()


def first_order_grads(x, y):
    x, y = _copy(x), _copy(y)
    w = torch.dot(x, y) ** 2
    w.backward()
    return x.grad, y.grad


def second_partials(x, y, i):
    x, y = _copy(x), _copy(y)
    w = torch.dot(x, y) ** 2
    (gx,) = torch.autograd.grad(w, x, create_graph=True)
    return torch.autograd.grad(gx[i], (x, y))


def grads_without_zeroing(x, y, i):
    x, y = _copy(x), _copy(y)
    w = torch.dot(x, y) ** 2
    w.backward(create_graph=True)
    x.grad[i].backward()
    return x.grad.detach(), y.grad.detach()


def hessian(f, x):
    x = _copy(x)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.stack([torch.autograd.grad(g[k], x, retain_graph=True)[0] for k in range(x.numel())])


def hvp(f, x, v):
    x = _copy(x)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad(g, x, grad_outputs=v)[0]


def gradient_penalty(f, x):
    x = _copy(x)
    (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    return g.pow(2).sum(dim=1).mean()
