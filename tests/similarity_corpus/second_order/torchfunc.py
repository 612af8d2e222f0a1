"""A correct submission that uses torch.func where the API allows it: first_order_grads and
gradient_penalty may use any API (only hessian and hvp forbid the ready-made helpers), and
mentions of the forbidden helpers in comments, an unused import and a __main__ block do not
count."""
import torch
from torch.autograd.functional import hessian as ready_made_hessian  # noqa: F401 (unused)
from torch.func import grad, vmap


def first_order_grads(x, y):
    w = lambda a, b: torch.dot(a, b) ** 2  # noqa: E731
    return grad(w, argnums=(0, 1))(x, y)


def second_partials(x, y, i):
    x, y = (t.detach().clone().requires_grad_(True) for t in (x, y))
    (gx,) = torch.autograd.grad(torch.dot(x, y) ** 2, x, create_graph=True)
    return tuple(torch.autograd.grad(gx[i], [x, y]))


def grads_without_zeroing(x, y, i):
    gx, gy = first_order_grads(x, y)
    hx, hy = second_partials(x, y, i)
    return gx + hx, gy + hy


def hessian(f, x):
    # Not torch.autograd.functional.hessian(f, x): the question asks for double backward.
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.stack([torch.autograd.grad(g[j], x, retain_graph=True)[0] for j in range(len(x))])


def hvp(f, x, v):
    # torch.func.jvp(torch.func.grad(f), ...) would do it too, but is not allowed here.
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad(g, x, grad_outputs=v)[0]


def gradient_penalty(f, x):
    per_row = vmap(grad(lambda row: f(row.unsqueeze(0)).squeeze(0)))(x)
    return per_row.pow(2).sum(dim=1).mean()


if __name__ == "__main__":
    x = torch.tensor([3.0, 1.0])
    print(torch.func.hessian(lambda t: (t ** 4).sum())(x))
    print(torch.autograd.functional.hvp(lambda t: (t ** 4).sum(), x, x))
