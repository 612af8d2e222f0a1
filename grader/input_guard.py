"""Detect whether student code changed its inputs: values, requires_grad or .grad."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import torch


def _tensors(value: Any, path: str) -> Iterator[tuple[str, torch.Tensor]]:
    if isinstance(value, torch.Tensor):
        yield path, value
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _tensors(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _tensors(item, f"{path}[{key!r}]")


@dataclass
class _TensorState:
    values: torch.Tensor
    requires_grad: bool
    grad: torch.Tensor | None

    @classmethod
    def of(cls, t: torch.Tensor) -> "_TensorState":
        grad = None if t.grad is None else t.grad.detach().clone()
        return cls(t.detach().clone(), t.requires_grad, grad)

    def differences(self, t: torch.Tensor) -> list[str]:
        found = []
        if t.shape != self.values.shape or not torch.equal(t.detach(), self.values):
            found.append("its values")
        if t.requires_grad != self.requires_grad:
            found.append("its requires_grad")
        if not _same_grad(self.grad, t.grad):
            found.append("its .grad")
        return found


def _same_grad(before: torch.Tensor | None, after: torch.Tensor | None) -> bool:
    if before is None or after is None:
        return before is None and after is None
    return before.shape == after.shape and torch.equal(before, after.detach())


class InputSnapshot:
    """The state of every tensor argument before a call, to compare with after it."""

    def __init__(self, states: dict[str, _TensorState]) -> None:
        self._states = states

    @classmethod
    def take(cls, args: list[Any], kwargs: dict[str, Any]) -> "InputSnapshot":
        return cls({path: _TensorState.of(t) for path, t in _all_tensors(args, kwargs)})

    def changes(self, args: list[Any], kwargs: dict[str, Any]) -> list[str]:
        found = []
        for path, t in _all_tensors(args, kwargs):
            for what in self._states[path].differences(t):
                found.append(f"{path}: {what}")
        return found


def _all_tensors(args: list[Any], kwargs: dict[str, Any]) -> Iterator[tuple[str, torch.Tensor]]:
    for index, value in enumerate(args):
        yield from _tensors(value, f"argument {index + 1}")
    for key, value in kwargs.items():
        yield from _tensors(value, key)
