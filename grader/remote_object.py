"""An object of a course's classes as a test drives it: ``model.train(task)``, ``model.history``.

The object lives where it was made (a student's in their process, the reference's in this
one); the test holds a :class:`RemoteObject`, a handle with two doors: reading an attribute
and calling a method, each one request under the same limits, guards and records as a
function call, every value crossing as plain data. A callable attribute reads as a method to
call; any other as its value, copied as the wire copies it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grader.wire.protocol import MethodRef, ObjectRef

Read = Callable[[str], Any]
"""Reads one attribute: its value, or a MethodRef for a method."""
Call = Callable[[str, tuple[Any, ...], dict[str, Any]], Any]
"""Calls one method on arguments."""


class RemoteObject(ObjectRef):
    """A course object, driven through `read` and `call`; sent back as its handle."""

    def __init__(self, ref: ObjectRef, read: Read, call: Call, **extra: Any) -> None:
        super().__init__(ref._handle, ref._type_name)
        object.__setattr__(self, "_read", read)
        object.__setattr__(self, "_call", call)
        for name, value in extra.items():
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = self._read(name)
        if isinstance(value, MethodRef):
            call = self._call
            return lambda *args, **kwargs: call(name, args, kwargs)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"set {self._type_name}.{name} through one of its methods")
