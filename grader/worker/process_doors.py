"""Paths that lead to a process's memory or descriptors, however they are written."""

from __future__ import annotations

import os
from collections.abc import Callable

_PROCESS_DOORS = frozenset({"mem", "fd", "map_files", "task", "environ", "cwd", "root"})
"""What /proc/<pid>/ holds that leads to a process's memory, its descriptors or its files."""


def is_process_memory(path: str, _real: Callable[[str], str] = os.path.realpath) -> bool:
    """Whether opening `path` may reach a process's memory or descriptors, however it is
    written: `/proc/self/./mem`, `//proc/self/mem`, `/proc/self/root/proc/self/mem`, /dev/fd,
    a link (resolved), or a relative path naming one of them (opened beside a descriptor of
    /proc/self, a folder the event does not show)."""
    if not str.startswith(path, "/"):
        return not _PROCESS_DOORS.isdisjoint(str.split(path, "/"))
    try:
        real = _real(path)
    except (OSError, ValueError, RecursionError):
        real = path
    return _names_process_door(path) or _names_process_door(real)


def _names_process_door(path: str) -> bool:
    names = [name for name in str.split(path, "/") if name not in ("", ".")]
    if names[:2] == ["dev", "fd"]:
        return True
    return any(names[i] == "proc" and names[i + 2] in _PROCESS_DOORS for i in range(len(names) - 2))
