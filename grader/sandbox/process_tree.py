"""A process and everything it started, as Linux's /proc shows them: their CPU time, their end.

Where a submission has no control group of its own, its CPU time is the sum over its worker's
process tree: each process's own time and that of the children it has reaped (a child's time
moves to its parent when the parent waits for it). A process that left the tree (a daemon
whose parent exited outside the sandbox) is no longer counted: that is as far as the kernel
reports it. The same walk finds every process a command started, to end them all.

Elsewhere (no /proc: macOS, Windows) nothing is measured and :meth:`ProcessTree.cpu_seconds`
says None.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")


class ProcessTree:
    """The CPU time of `root` and its descendants; the descendants known are kept, so that a
    reading between two searches costs a few small reads, not a walk of every process."""

    def __init__(self, root: int) -> None:
        self.root = root
        entry = _stat(root)
        self._known: dict[int, str] = {root: entry[1]} if entry is not None else {}
        self.cpus = float(os.cpu_count() or 1)
        """The most CPUs the tree can use at once: every core (no quota bounds it)."""

    def cpu_seconds(self, *, search: bool = False) -> float | None:
        """CPU seconds used by the tree: the processes known (the root and those found by the
        last search), or with `search` every descendant now. None where /proc says nothing."""
        if search:
            table = _table()
            if self.root not in table:
                return None
            self._known = {pid: table[pid][1] for pid in _below(self.root, table)}
            return sum(table[pid][2] for pid in self._known) / _ticks()
        total = 0
        for pid, started in list(self._known.items()):
            entry = _stat(pid)
            if entry is None or entry[1] != started:  # gone (reaped: its time is its parent's)
                del self._known[pid]
                continue
            total += entry[2]
        return total / _ticks() if self.root in self._known else None


def descendants(root: int) -> dict[int, str]:
    """Every process below `root` now (not `root` itself), with its start time (which tells
    it apart from a later process given the same pid)."""
    table = _table()
    return {pid: table[pid][1] for pid in _below(root, table)[1:]}


def kill_if_same(processes: dict[int, str]) -> None:
    """SIGKILL each of `processes` (pid -> start time) that is still that same process."""
    for pid, started in processes.items():
        entry = _stat(pid)
        if entry is not None and entry[1] == started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def kill_descendants(root: int, seconds: float) -> list[int]:
    """SIGKILL everything below `root` until nothing is left or `seconds` pass; the pids that
    would not go (none, unless a process is stuck in the kernel)."""
    deadline = time.monotonic() + seconds
    while left := descendants(root):
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        _reap_children()
        if time.monotonic() > deadline:
            return list(left)
        time.sleep(0.02)
    return []


def _reap_children() -> None:
    """Collect this process's children that have ended (orphans adopted as a subreaper too)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _below(root: int, table: dict[int, tuple[int, str, int]]) -> list[int]:
    """`root` and its descendants in `table`, breadth first."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, index = [root], 0
    while index < len(found):
        found += children.get(found[index], [])
        index += 1
    return found


def _table() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent, start time, CPU ticks with reaped children's) of every process."""
    table = {}
    try:
        entries = os.listdir(PROC)
    except OSError:
        return {}
    for name in entries:
        if name.isdigit() and (entry := _stat(int(name))) is not None:
            table[int(name)] = entry
    return table


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent, start time, utime + stime + cutime + cstime in ticks) of one process."""
    try:
        descriptor = os.open(f"{PROC}/{pid}/stat", os.O_RDONLY)  # a few per question: no pathlib
    except OSError:
        return None
    try:
        text = os.read(descriptor, 4096)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    fields = text.rpartition(b")")[2].split()
    try:
        ticks = sum(int(value) for value in fields[11:15])
        return int(fields[1]), fields[19].decode(), ticks
    except (IndexError, ValueError):
        return None


def _ticks() -> int:
    """Clock ticks per second, the unit of /proc's times."""
    sysconf = getattr(os, "sysconf", None)
    return int(sysconf("SC_CLK_TCK")) if sysconf is not None else 100
