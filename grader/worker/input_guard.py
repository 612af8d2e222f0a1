"""Detect whether student code changed its inputs: values, requires_grad or .grad.

The guard runs beside student code, so it depends on nothing student code can rebind: every
torch operation it uses is bound when this module is imported (in the worker, before any
student code), as a C function or descriptor of torch's tensor base class, and called on the
very tensor objects that were snapshotted. Rebinding `torch.equal` (to another torch builtin
that always answers truthily), `Tensor.detach` or `zlib.crc32` changes nothing here, and
neither does putting another object, a lying tensor subclass say, in the caller's list in
place of a tensor that was changed: that replacement is itself a change of the inputs.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

LARGE_BYTES = 1 << 20
"""Above this, a tensor's values are remembered as a checksum of their bytes, not a copy.

A copy of the 2,000,000-element inputs is 48 MB of fresh pages in every question's process;
a CRC-32 before and after reads the same bytes twice and writes nothing."""

_BASE = torch._C.TensorBase
_DETACH, _CONTIGUOUS, _RESHAPE, _VIEW = _BASE.detach, _BASE.contiguous, _BASE.reshape, _BASE.view
_CLONE, _NUMEL, _ELEMENT_SIZE, _NUMPY = _BASE.clone, _BASE.numel, _BASE.element_size, _BASE.numpy
_SHAPE, _DTYPE = _BASE.__dict__["shape"].__get__, _BASE.__dict__["dtype"].__get__
_REQUIRES_GRAD, _GRAD = _BASE.__dict__["requires_grad"].__get__, _BASE.__dict__["grad"].__get__
_EQUAL, _CRC32, _UINT8, _TENSOR = torch.equal, zlib.crc32, torch.uint8, torch.Tensor
_TUPLE, _TYPE, _ISINSTANCE = tuple, type, isinstance


@dataclass(frozen=True)
class _Checksum:
    """The shape, dtype and CRC-32 of a tensor's bytes: equal unless the values changed
    (a change that keeps the CRC-32 happens by chance once in 4 billion)."""

    shape: tuple[int, ...]
    dtype: torch.dtype
    crc: int

    @classmethod
    def of(cls, t: torch.Tensor) -> _Checksum:
        return cls(_TUPLE(_SHAPE(t)), _DTYPE(t), _CRC32(_NUMPY(_bytes(t))))  # type: ignore[arg-type]


def _bytes(t: torch.Tensor) -> torch.Tensor:
    """The tensor's values as bytes: compared bit for bit, a NaN left alone stays equal."""
    return _VIEW(_RESHAPE(_CONTIGUOUS(_DETACH(t)), (-1,)), _UINT8)


def _is_tensor(value: Any) -> bool:
    return _ISINSTANCE(value, _TENSOR)


def _tensors(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """The tensors in an argument, by path. Only the exact containers a request decodes to
    are entered, so walking what student code left behind runs none of its methods."""
    if _is_tensor(value):
        yield path, value
    elif _TYPE(value) in (list, tuple):
        for index, item in enumerate(value):
            yield from _tensors(item, f"{path}[{index}]")
    elif _TYPE(value) is dict:
        for key, item in dict.items(value):
            yield from _tensors(item, f"{path}[{key!r}]")


@dataclass
class _TensorState:
    values: torch.Tensor | _Checksum
    requires_grad: bool
    grad: torch.Tensor | None

    @classmethod
    def of(cls, t: torch.Tensor) -> _TensorState:
        grad = _GRAD(t)
        grad = None if grad is None else _CLONE(_DETACH(grad))
        large = _NUMEL(t) * _ELEMENT_SIZE(t) > LARGE_BYTES
        values = _Checksum.of(t) if large else _CLONE(_DETACH(t))
        return cls(values, _REQUIRES_GRAD(t), grad)

    def differences(self, t: torch.Tensor) -> list[str]:
        found = []
        if not self._same_values(t):
            found.append("its values")
        if _REQUIRES_GRAD(t) != self.requires_grad:
            found.append("its requires_grad")
        if not _same_grad(self.grad, _GRAD(t)):
            found.append("its .grad")
        return found

    def _same_values(self, t: torch.Tensor) -> bool:
        if _ISINSTANCE(self.values, _Checksum):
            return _Checksum.of(t) == self.values
        return (
            _TUPLE(_SHAPE(t)) == _TUPLE(_SHAPE(self.values))
            and _DTYPE(t) == _DTYPE(self.values)
            and _EQUAL(_bytes(t), _bytes(self.values))  # type: ignore[arg-type]  # a tensor here
        )


def _same_grad(before: torch.Tensor | None, after: torch.Tensor | None) -> bool:
    if before is None or after is None:
        return before is None and after is None
    return (
        _is_tensor(after)
        and _TUPLE(_SHAPE(before)) == _TUPLE(_SHAPE(after))
        and _DTYPE(before) == _DTYPE(after)
        and _EQUAL(before, _DETACH(after))
    )


class InputSnapshot:
    """The state of every tensor argument before a call, to compare with after it."""

    def __init__(self, states: dict[str, tuple[torch.Tensor, _TensorState]]) -> None:
        self._states = states

    @classmethod
    def take(cls, args: list[Any], kwargs: dict[str, Any]) -> InputSnapshot:
        return cls({path: (t, _TensorState.of(t)) for path, t in _all_tensors(args, kwargs)})

    def changes(self, args: list[Any], kwargs: dict[str, Any]) -> list[str]:
        """What changed: each snapshotted tensor (the same object, wherever it is now), and
        any place in the arguments where another object now stands."""
        found = []
        now = dict(_all_tensors(args, kwargs))
        for path, (t, state) in self._states.items():
            for what in state.differences(t):
                found.append(f"{path}: {what}")
            if now.get(path) is not t:
                found.append(f"{path}: replaced by another object")
        found += [f"{path}: added" for path in now if path not in self._states]
        return found


def _all_tensors(args: list[Any], kwargs: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for index, value in enumerate(args):
        yield from _tensors(value, f"argument {index + 1}")
    for key, value in dict.items(kwargs):
        yield from _tensors(value, key)
