"""Hostile, first of a pair: correct, and leaves its own source in its uid's kernel keyring.

A child interpreter (out of the audit hook's sight) adds the source as a "user" key to the
user keyring (@u), which the kernel keeps after the uid's last process has ended: the next
submission leased the same uid could read it (reader.py).
"""
import subprocess
import sys

_KEEP = r"""
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
data = open(sys.argv[1], "rb").read().split(b"# answers\n", 1)[1]  # the answers only
# add_key("user", "homework-kept", data, len, KEY_SPEC_USER_KEYRING)
key = libc.syscall(ctypes.c_long(248), b"user", b"homework-kept", data, ctypes.c_size_t(len(data)),
                   ctypes.c_long(-4))
print("kept" if key >= 0 else "refused %d" % ctypes.get_errno())
"""
subprocess.run([sys.executable, "-c", _KEEP, __file__], check=False)

# answers
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
    g = grad(f(x).sum(), x, create_graph=True)[0]
    return g.pow(2).sum(1).mean()
