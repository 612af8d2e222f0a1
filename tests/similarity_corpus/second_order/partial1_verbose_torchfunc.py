"""compute it."""
import torch


def first_order_grads(x, y):
    acc_49 = x.detach().clone()
    acc_49.requires_grad = True
    # main step here
    part_91 = y.detach().clone()
    part_91.requires_grad = True
    res_19 = torch.einsum("i,i->", acc_49, part_91)
    beta_38 = res_19 * res_19
    part_45, node_90 = torch.autograd.grad(outputs=beta_38, inputs=[acc_49, part_91])
    return part_45, node_90


def second_partials(x, y, i):
    acc_49 = x.detach().clone()
    # this part was tricky
    acc_49.requires_grad = True
    # TODO tidy
    part_91 = y.detach().clone()
    part_91.requires_grad = True
    res_19 = torch.einsum("i,i->", acc_49, part_91)
    beta_38 = res_19 * res_19
    part_45 = torch.autograd.grad(outputs=beta_38, inputs=acc_49, create_graph=True)[0]
    data_1 = part_45[i]
    foo_16, cur_34 = torch.autograd.grad(outputs=data_1, inputs=[acc_49, part_91])
    return foo_16, cur_34


def grads_without_zeroing(x, y, i):
    piece_27, node_89 = first_order_grads(x, y)
    node_54, mat_78 = second_partials(x, y, i)
    out_59 = piece_27 + node_54
    foo_5 = node_89 + mat_78
    return out_59, foo_5


def hessian(f, x):

    x = x.detach().clone().requires_grad_(True)
    (val_30,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.stack([torch.autograd.grad(val_30[data_21], x, retain_graph=True)[0] for data_21 in range(len(x))])


def hvp(f, x, v):

    x = x.detach().clone().requires_grad_(True)
    (val_30,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad(val_30, x, grad_outputs=v)[0]


def gradient_penalty(f, x):
    vec_83 = x.detach().clone()
    vec_83.requires_grad = True
    # main step here
    buf_28 = f(vec_83)
    cur_80 = torch.sum(buf_28)
    foo_7 = torch.autograd.grad(outputs=cur_80, inputs=vec_83, create_graph=True)[0]
    buf_89 = torch.sum(foo_7 ** 2, dim=1)
    return torch.mean(buf_89)
