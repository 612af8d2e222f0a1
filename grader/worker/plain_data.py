"""What student code returned, as plain data a probe may compute with, or a clear refusal.

A probe differentiates or compares what the student's code gave back. A tensor subclass
could take over what the probe then does with it (``__torch_function__``), and an object of
the student's own classes could do anything when touched, so only exact ``torch.Tensor`` s,
numbers and exact lists, tuples and dicts of them pass; an ``nn.Parameter`` is a plain
tensor's data in a trusted wrapper, and comes out as the plain tensor.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 16
SCALARS = (bool, int, float, str, type(None))


def plain_data(value: Any, what: str = "value") -> Any:
    """`value` with every tensor a plain, detached ``torch.Tensor`` (an ``nn.Parameter``
    becomes one), containers rebuilt as exact lists, tuples and dicts. Anything else (another
    Tensor subclass, an object of any other class) raises TypeError naming what was found
    and where: "weights['w'] is a MyTensor, not a tensor"."""
    import torch
    from torch import nn

    def walk(item: Any, where: str, depth: int) -> Any:
        kind = type(item)
        if kind is torch.Tensor or kind is nn.Parameter:
            return torch.Tensor.detach(item)
        if kind in SCALARS:
            return item
        if depth >= MAX_DEPTH:
            raise TypeError(f"{where} is nested more than {MAX_DEPTH} levels deep")
        if kind is list or kind is tuple:
            return kind(walk(part, f"{where}[{index}]", depth + 1) for index, part in enumerate(item))
        if kind is dict:
            return {
                _key(key, where): walk(part, f"{where}[{key!r}]", depth + 1) for key, part in item.items()
            }
        raise TypeError(f"{where} is {_a(kind)}, not {_expected(item)}")

    return walk(value, what, 0)


def _key(key: Any, where: str) -> str:
    if type(key) is not str:
        raise TypeError(f"{where} has a key of type {type(key).__name__}, not a string")
    return key


def _expected(item: Any) -> str:
    import torch

    return (
        "a tensor"
        if isinstance(item, torch.Tensor)
        else "a tensor, a number, or a list, tuple or dict of them"
    )


def _a(kind: type) -> str:
    name = kind.__name__[:100]
    return f"an {name}" if name[:1].lower() in "aeiou" else f"a {name}"
