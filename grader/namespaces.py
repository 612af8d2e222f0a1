"""Enter namespaces of one's own from inside the sandbox (Python 3.11 has no os.unshare).

The warm worker forks one process per submission; inside the sandbox that process takes new
mount, PID, network and IPC namespaces, a private /tmp and its own /proc, so nothing of one
submission (files in /tmp, processes, sockets, shared memory) is reachable from the next.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(), kind.encode() if kind else None,
                       ctypes.c_ulong(flags), data.encode() if data else None), f"mount {target}")


def enter_private_namespaces() -> None:
    """Unshare mount, PID, network and IPC namespaces; the caller must then fork: its child
    is the new PID 1."""
    unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC)
    mount("none", "/", None, MS_REC | MS_PRIVATE)


def private_tmp_and_proc() -> None:
    """In the new PID namespace: a fresh /tmp, and a /proc that shows only this namespace."""
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=512m")
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
