"""Independent correct solution: keyword arguments everywhere, a Hessian filled row by row."""
import torch


def first_order_grads(x, y):
    x_leaf = x.detach().clone()
    x_leaf.requires_grad = True
    y_leaf = y.detach().clone()
    y_leaf.requires_grad = True
    z = torch.einsum("i,i->", x_leaf, y_leaf)
    w = z * z
    dx, dy = torch.autograd.grad(outputs=w, inputs=[x_leaf, y_leaf])
    return dx, dy


def second_partials(x, y, i):
    x_leaf = x.detach().clone()
    x_leaf.requires_grad = True
    y_leaf = y.detach().clone()
    y_leaf.requires_grad = True
    z = torch.einsum("i,i->", x_leaf, y_leaf)
    w = z * z
    dx = torch.autograd.grad(outputs=w, inputs=x_leaf, create_graph=True)[0]
    component = dx[i]
    ddx, ddy = torch.autograd.grad(outputs=component, inputs=[x_leaf, y_leaf])
    return ddx, ddy


def grads_without_zeroing(x, y, i):
    first_x, first_y = first_order_grads(x, y)
    second_x, second_y = second_partials(x, y, i)
    total_x = first_x + second_x
    total_y = first_y + second_y
    return total_x, total_y


def hessian(f, x):
    point = x.detach().clone()
    point.requires_grad = True
    value = f(point)
    gradient = torch.autograd.grad(outputs=value, inputs=point, create_graph=True)[0]
    size = point.numel()
    result = torch.zeros(size, size, dtype=x.dtype)
    for row in range(size):
        second = torch.autograd.grad(outputs=gradient[row], inputs=point, retain_graph=True)[0]
        result[row] = second.detach()
    return result


def hvp(f, x, v):
    point = x.detach().clone()
    point.requires_grad = True
    value = f(point)
    gradient = torch.autograd.grad(outputs=value, inputs=point, create_graph=True)[0]
    inner = torch.sum(gradient * v.detach())
    product = torch.autograd.grad(outputs=inner, inputs=point)[0]
    return product


def gradient_penalty(f, x):
    points = x.detach().clone()
    points.requires_grad = True
    scores = f(points)
    total = torch.sum(scores)
    gradients = torch.autograd.grad(outputs=total, inputs=points, create_graph=True)[0]
    squared_norms = torch.sum(gradients ** 2, dim=1)
    return torch.mean(squared_norms)
