"""A correct submission that leans on ordinary Python idioms the grader must not mistake for
tampering: namedtuple, dataclasses, typing, enum, logging, warnings, functools.wraps and
lru_cache, inspect.signature, traceback, contextlib, threads, numpy, printing, vmap."""
from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import logging
import threading
import traceback
import warnings
from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import numpy as np
import torch

log = logging.getLogger("homework")
logging.basicConfig(level=logging.INFO)
T = TypeVar("T")
Pair = namedtuple("Pair", "dx dy")


class Mode(enum.Enum):
    FIRST = 1
    SECOND = 2


class Grads(NamedTuple):
    dx: torch.Tensor
    dy: torch.Tensor


@dataclass(frozen=True)
class Leaves:
    x: torch.Tensor
    y: torch.Tensor

    @classmethod
    def of(cls, x: torch.Tensor, y: torch.Tensor) -> Leaves:
        return cls(x.detach().clone().requires_grad_(True), y.detach().clone().requires_grad_(True))


def logged(function: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        log.info("calling %s%s", function.__name__, inspect.signature(function))
        try:
            return function(*args, **kwargs)
        except Exception:
            traceback.print_exc()
            raise
    return wrapper


@functools.cache
def _mode_name(mode: Mode) -> str:
    return mode.name.lower()


@logged
def first_order_grads(x, y):
    leaves = Leaves.of(x, y)
    w = torch.dot(leaves.x, leaves.y) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dx, dy = torch.autograd.grad(w, [leaves.x, leaves.y])
    print("first-order gradients:", np.round(dx.detach().numpy(), 3), _mode_name(Mode.FIRST))
    return tuple(Pair(dx, dy))


@logged
def second_partials(x, y, i):
    leaves = Leaves.of(x, y)
    w = torch.dot(leaves.x, leaves.y) ** 2
    (gx,) = torch.autograd.grad(w, leaves.x, create_graph=True)
    rows = Grads(*torch.autograd.grad(gx[i], [leaves.x, leaves.y]))
    return rows.dx, rows.dy


def grads_without_zeroing(x, y, i):
    leaves = Leaves.of(x, y)
    w = torch.dot(leaves.x, leaves.y) ** 2
    w.backward(create_graph=True)
    leaves.x.grad[i].backward()
    results = {}
    worker = threading.Thread(target=lambda: results.update(x=leaves.x.grad.detach().clone()))
    worker.start()
    worker.join()
    return results["x"], leaves.y.grad.detach().clone()


def hessian(f, x):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    eye = torch.eye(len(x), dtype=x.dtype)
    with contextlib.suppress(RuntimeError):
        rows = torch.vmap(lambda e: torch.autograd.grad(g, x, e, retain_graph=True)[0])(eye)
        return rows
    return torch.stack([torch.autograd.grad(g[j], x, retain_graph=True)[0] for j in range(len(x))])


def hvp(f, x, v):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    (product,) = torch.autograd.grad(g, x, grad_outputs=v)
    return product


def gradient_penalty(f, x):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    return (g**2).sum(dim=1).mean()


if __name__ == "__main__":
    print(first_order_grads(torch.tensor([3.0, 1.0]), torch.tensor([1.0, 2.0])))
