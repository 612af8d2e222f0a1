"""A correct submission that copies its inputs in every common way: detach().clone(),
torch.tensor(...), torch.nn.Parameter, and a bare clone() of an input only where nothing is
ever written into a .grad (torch.autograd.grad, which returns gradients and stores none)."""
import warnings

import torch


def first_order_grads(x, y):
    # detach().clone(): fresh leaves, whatever x and y arrive as
    x = x.detach().clone().requires_grad_(True)
    y = y.detach().clone().requires_grad_(True)
    (torch.dot(x, y) ** 2).backward()
    return x.grad, y.grad


def second_partials(x, y, i):
    # a bare clone(): not a leaf when x requires grad, but autograd.grad stores no .grad
    x, y = x.clone().requires_grad_(), y.clone().requires_grad_()
    (dw_dx,) = torch.autograd.grad(torch.dot(x, y) ** 2, x, create_graph=True)
    dx, dy = torch.autograd.grad(dw_dx[i], (x, y))
    return dx, dy


def grads_without_zeroing(x, y, i):
    # torch.nn.Parameter: a leaf of its own, sharing nothing the caller watches
    x = torch.nn.Parameter(x.detach().clone())
    y = torch.nn.Parameter(y.detach().clone())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        (torch.dot(x, y) ** 2).backward(create_graph=True)
        x.grad[i].backward()
    return x.grad.detach().clone(), y.grad.detach().clone()


def hessian(f, x):
    # torch.tensor(...) copies the values (and warns that clone().detach() is preferred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        x = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    rows = [torch.autograd.grad(g[k], x, retain_graph=True)[0] for k in range(x.numel())]
    return torch.stack(rows)


def hvp(f, x, v):
    x = x.detach().clone().requires_grad_(True)
    v = v.clone()  # only read: nothing is ever written into its .grad
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    (product,) = torch.autograd.grad(g, x, grad_outputs=v.detach())
    return product


def gradient_penalty(f, x):
    x = torch.nn.Parameter(x.detach().clone())
    (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    return g.pow(2).sum(dim=1).mean()
