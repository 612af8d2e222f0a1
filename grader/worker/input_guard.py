"""Detect whether student code changed its inputs: values, requires_grad or .grad."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Iterator

import torch

LARGE_BYTES = 1 << 20
"""Above this, a tensor's values are remembered as a checksum of their bytes, not a copy.

A copy of the 2,000,000-element inputs is 48 MB of fresh pages in every question's process;
a CRC-32 before and after reads the same bytes twice and writes nothing."""


@dataclass(frozen=True)
class _Checksum:
    """The shape, dtype and CRC-32 of a tensor's bytes: equal unless the values changed
    (a change that keeps the CRC-32 happens by chance once in 4 billion)."""

    shape: tuple[int, ...]
    dtype: torch.dtype
    crc: int

    @classmethod
    def of(cls, t: torch.Tensor) -> "_Checksum":
        return cls(tuple(t.shape), t.dtype, zlib.crc32(_bytes(t).numpy()))


def _bytes(t: torch.Tensor) -> torch.Tensor:
    """The tensor's values as bytes: compared bit for bit, a NaN left alone stays equal."""
    return t.detach().contiguous().reshape(-1).view(torch.uint8)


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
    values: torch.Tensor | _Checksum
    requires_grad: bool
    grad: torch.Tensor | None

    @classmethod
    def of(cls, t: torch.Tensor) -> "_TensorState":
        grad = None if t.grad is None else t.grad.detach().clone()
        large = t.numel() * t.element_size() > LARGE_BYTES
        values = _Checksum.of(t) if large else t.detach().clone()
        return cls(values, t.requires_grad, grad)

    def differences(self, t: torch.Tensor) -> list[str]:
        found = []
        if not self._same_values(t):
            found.append("its values")
        if t.requires_grad != self.requires_grad:
            found.append("its requires_grad")
        if not _same_grad(self.grad, t.grad):
            found.append("its .grad")
        return found

    def _same_values(self, t: torch.Tensor) -> bool:
        if isinstance(self.values, _Checksum):
            return _Checksum.of(t) == self.values
        return (t.shape == self.values.shape and t.dtype == self.values.dtype
                and torch.equal(_bytes(t), _bytes(self.values)))


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
