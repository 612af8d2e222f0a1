"""Describe a call and its inputs in one short line for feedback: no walls of numbers."""

from __future__ import annotations

from typing import Any

from grader.wire.protocol import Fn, Seed

SHOWN_ELEMENTS = 6


def describe_value(value: Any) -> str:
    import torch

    if isinstance(value, torch.Tensor):
        return describe_tensor(value)
    if isinstance(value, Fn):
        return f"<function {value.name}>"
    if isinstance(value, Seed):
        return f"<generator seeded {value.seed}>"
    if isinstance(value, list):
        if len(value) > SHOWN_ELEMENTS:
            return f"[list of {len(value)}]"
        return "[" + ", ".join(describe_value(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(describe_value(v) for v in value) + ")"
    return repr(value)


def describe_tensor(t: Any) -> str:
    dtype = str(t.dtype).removeprefix("torch.")
    shape = tuple(t.shape)
    if 0 < t.numel() <= SHOWN_ELEMENTS:
        values = ", ".join(f"{v:.4g}" for v in t.detach().flatten().tolist())
        return f"tensor([{values}], {dtype}, shape {shape})"
    return f"<{dtype} tensor of shape {shape}>"


def describe_call(function: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [describe_value(a) for a in args]
    parts += [f"{key}={describe_value(v)}" for key, v in kwargs.items()]
    return f"{function}({', '.join(parts)})"
