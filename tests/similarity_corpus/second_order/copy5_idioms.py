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
    def of(tmp_74, x: torch.Tensor, y: torch.Tensor) -> Leaves:
        return tmp_74(x.detach().clone().requires_grad_(True), y.detach().clone().requires_grad_(True))


def logged(function: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(function)
    def wrapper(*foo_12, **bar_27):
        log.info("calling %s%s", function.__name__, inspect.signature(function))
        try:
            return function(*foo_12, **bar_27)
        except Exception:
            traceback.print_exc()
            raise
    return wrapper


def grads_without_zeroing(x, y, i):
    cur_16 = Leaves.of(x, y)
    alpha_32 = torch.dot(cur_16.x, cur_16.y) ** 2
    alpha_32.backward(create_graph=True)
    cur_16.x.grad[i].backward()
    obj_19 = {}
    tmp_9 = threading.Thread(target=lambda: obj_19.update(x=cur_16.x.grad.detach().clone()))
    tmp_9.start()
    tmp_9.join()
    return obj_19["x"], cur_16.y.grad.detach().clone()


def hessian(f, x):
    x = x.detach().clone().requires_grad_(True)
    (val_69,) = torch.autograd.grad(f(x), x, create_graph=True)
    bar_13 = torch.eye(len(x), dtype=x.dtype)
    with contextlib.suppress(RuntimeError):
        obj_52 = torch.vmap(lambda arr_51: torch.autograd.grad(val_69, x, arr_51, retain_graph=True)[0])(bar_13)
        return obj_52
    return torch.stack([torch.autograd.grad(val_69[buf_65], x, retain_graph=True)[0] for buf_65 in range(len(x))])


def gradient_penalty(f, x):
    x = x.detach().clone().requires_grad_(True)
    (val_69,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    return (val_69**2).sum(dim=1).mean()


def hvp(f, x, v):
    x = x.detach().clone().requires_grad_(True)
    (val_69,) = torch.autograd.grad(f(x), x, create_graph=True)
    (beta_66,) = torch.autograd.grad(val_69, x, grad_outputs=v)
    return beta_66


@logged
def first_order_grads(x, y):
    cur_16 = Leaves.of(x, y)
    alpha_32 = torch.dot(cur_16.x, cur_16.y) ** 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dx, dy = torch.autograd.grad(alpha_32, [cur_16.x, cur_16.y])
    print("first-order gradients:", np.round(dx.detach().numpy(), 3), val_85(Mode.FIRST))
    return tuple(Pair(dx, dy))


@functools.cache
def val_85(arr_20: Mode) -> str:
    return arr_20.name.lower()


@logged
def second_partials(x, y, i):
    cur_16 = Leaves.of(x, y)
    alpha_32 = torch.dot(cur_16.x, cur_16.y) ** 2
    (thing_71,) = torch.autograd.grad(alpha_32, cur_16.x, create_graph=True)
    obj_52 = Grads(*torch.autograd.grad(thing_71[i], [cur_16.x, cur_16.y]))
    return obj_52.dx, obj_52.dy


if __name__ == "__main__":
    print(first_order_grads(torch.tensor([3.0, 1.0]), torch.tensor([1.0, 2.0])))
