"""A witness of the namespaces trusted code looks names up in, as they were before any
student code ran.

A dict watch notes any change to them (the probes' and the worker's module globals, their
classes, torch's autograd entry points), even a change undone before the check: CPython bumps
a dict's version tag on every write.
"""

from __future__ import annotations

import ctypes
import enum
import gc
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.worker.student_frames import StudentFrames


class WatchLevel(enum.StrEnum):
    """How closely a namespace is watched."""

    STRICT = "strict"
    """The grader's own code, the probes: any change."""
    GUARDED = "guarded"
    """torch's autograd entry points the probes call: a value from outside trusted code, or a
    change undone before the check."""
    LENIENT = "lenient"
    """The rest of torch, json, builtins, which torch itself rebinds at times (e.g.
    `torch.Storage` on set_default_dtype): a value from outside trusted code only."""


def _version(mapping: dict[str, Any], _from: Callable[[int], Any] = ctypes.c_uint64.from_address) -> int:
    """CPython's version tag of a dict (PEP 509): it changes on every write to the dict."""
    version: int = _from(id(mapping) + 3 * ctypes.sizeof(ctypes.c_ssize_t)).value
    return version


def namespace_of(owner: Any) -> dict[str, Any]:
    """The real dict behind a module's or a class's namespace (or the dict itself)."""
    if isinstance(owner, dict):
        return owner
    namespace = vars(owner)
    if isinstance(namespace, dict):  # a module's, or an instance's
        return namespace
    return next(r for r in gc.get_referents(namespace) if isinstance(r, dict))  # a class's


def _is_recorder(value: Any) -> bool:
    """Whether `value` is one of the forbidden helpers' recorders (grader.worker.forbidden):
    nothing, torch's own original function included, may take the place of one."""
    return type(value) is types.FunctionType and str.startswith(value.__code__.co_filename, "<recorder of ")


def _with_their_contents(
    owners: dict[str, Any], levels: dict[str, WatchLevel]
) -> list[tuple[str, Any, WatchLevel]]:
    """Each owner with its level and, for a strictly watched module, the classes defined in
    it and the dicts at its top level: trusted code looks names up there too (a method of the
    input guard's classes, the table of frame-handing helpers), wherever student code found a
    reference to them."""
    found = []
    for label, owner in owners.items():
        level = levels.get(label, WatchLevel.STRICT)
        found.append((label, owner, level))
        if level != WatchLevel.STRICT or not isinstance(owner, types.ModuleType):
            continue
        for name, value in list(vars(owner).items()):
            if str.startswith(name, "__"):
                continue
            if type(value) is dict or (isinstance(value, type) and value.__module__ == owner.__name__):
                found.append((f"{label}.{name}", value, WatchLevel.STRICT))
    return found


@dataclass(slots=True)
class _Watched:
    """One namespace as last accepted: its dict, that dict's version tag and a copy of it."""

    label: str
    mapping: dict[str, Any]
    version: int
    before: dict[str, Any]
    level: WatchLevel


class DictWatch:
    """The namespaces trusted code depends on, as they were before any student code ran."""

    ALLOWED_NEW = ("__warningregistry__", "__slotnames__")
    """Names the standard library caches on modules and classes as they are used (warnings'
    registry; copyreg's slot names when a tensor is copied or pickled)."""

    def __init__(
        self, owners: dict[str, Any], frames: StudentFrames, levels: dict[str, WatchLevel] | None = None
    ) -> None:
        self._frames = frames
        self._entries: list[_Watched] = []
        watched: set[int] = set()
        for label, owner, level in _with_their_contents(owners, levels or {}):
            mapping = namespace_of(owner)
            if id(mapping) not in watched:
                watched.add(id(mapping))
                self._entries.append(_Watched(label, mapping, _version(mapping), dict(mapping), level))

    def changes(self) -> list[str]:
        """What changed since the snapshot. Accepted changes (a lazily imported submodule, a
        warnings registry, torch rebinding its own names) become part of the snapshot."""
        found = []
        for entry in self._entries:
            mapping = entry.mapping
            if _version(mapping) == entry.version:
                continue
            problem = self._judge(entry.label, mapping, entry.before, entry.level)
            if problem:
                found.append(problem)
            else:
                entry.version, entry.before = _version(mapping), dict(mapping)
        return found

    def _judge(
        self, label: str, mapping: dict[str, Any], before: dict[str, Any], level: WatchLevel
    ) -> str | None:
        changed = [key for key, value in before.items() if mapping.get(key, before) is not value]
        changed += [key for key in mapping if key not in before]
        for key in changed:
            value = mapping.get(key, before)
            if key in self.ALLOWED_NEW or isinstance(value, types.ModuleType) and key not in before:
                continue
            if _is_recorder(before.get(key)):
                return f"{label}.{key}, a forbidden helper's recorder, was replaced"
            if level == WatchLevel.STRICT or value is before or not self._trusted_value(value):
                return f"{label}.{key} was replaced"
        if not changed and level != WatchLevel.LENIENT:
            return f"{label} was changed and restored"
        return None

    def _trusted_value(self, value: Any) -> bool:
        """Whether a new value comes from trusted code (torch rebinding its own names)."""
        if isinstance(
            value, (types.ModuleType, types.BuiltinFunctionType, int, float, str, bool, type(None))
        ):
            return True
        if isinstance(value, types.MethodType):
            value = value.__func__
        if isinstance(value, types.FunctionType):
            return self._frames.is_trusted_file(value.__code__.co_filename)
        if isinstance(value, type):
            module = sys.modules.get(value.__module__)
            return self._frames.is_trusted_file(getattr(module, "__file__", None) or "")
        return False
