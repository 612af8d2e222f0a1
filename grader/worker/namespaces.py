"""Enter namespaces of one's own from inside the sandbox (Python 3.11 has no os.unshare).

The warm worker forks one process per submission; inside the sandbox that process takes new
mount, PID, network and IPC namespaces, a private /tmp and its own /proc, so nothing of one
submission (files in /tmp, processes, sockets, shared memory) is reachable from the next.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 0x4000
MNT_DETACH = 2
OLD_TMP = "/grader-old-tmp"
"""An empty folder the sandbox provides: the old /tmp is parked there while a new one is made."""
MS_PRIVATE = 1 << 18
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8


@functools.cache
def _libc() -> ctypes.CDLL:
    """The C library, loaded on first use: importing this module must work where there is
    none to find by name (Windows, where `grader check` imports the grading code)."""
    return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def unshare(flags: int) -> None:
    _check(_libc().unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    _check(
        _libc().mount(
            source.encode(),
            target.encode(),
            kind.encode() if kind else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def enter_private_namespaces() -> None:
    """Unshare mount, PID, network and IPC namespaces; the caller must then fork: its child
    is the new PID 1."""
    unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC)
    mount("none", "/", None, MS_REC | MS_PRIVATE)


def umount(target: str) -> None:
    _check(_libc().umount2(target.encode(), ctypes.c_int(MNT_DETACH)), f"umount {target}")


def private_tmp_and_proc(keep: list[str]) -> None:
    """In the new PID namespace: a fresh, writable /tmp, and a /proc of this namespace only.

    `keep` lists read-only folders that live under /tmp (a project checked out there): they
    are bound again, read-only, into the fresh /tmp, and nothing else of the old one stays.
    """
    mount("/tmp", OLD_TMP, None, MS_BIND | MS_REC)
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=512m")
    for folder in keep:
        relative = os.path.relpath(folder, "/tmp")
        os.makedirs(folder, mode=0o755, exist_ok=True)
        mount(os.path.join(OLD_TMP, relative), folder, None, MS_BIND | MS_REC)
        mount("none", folder, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC)
    umount(OLD_TMP)
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def private_workdir(workdir: str, uid: int, size_mib: int) -> None:
    """Put the submission's folder on a size-limited tmpfs of its own, owned by `uid`.

    The files the grader installed are copied in; whatever the student writes stays in this
    submission's mount namespace, within `size_mib`, and never reaches the grader's disk.
    """
    original = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        mount(
            "tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_mib}m,mode=0700,uid={uid},gid={uid}"
        )
        _copy_tree(original, workdir, uid)
    finally:
        os.close(original)
    if os.path.isdir("/dev/shm"):
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")


def _copy_tree(source_fd: int, target: str, uid: int) -> None:
    """Copy regular files and folders from an open folder, following no link."""
    for entry in os.scandir(source_fd):
        path = os.path.join(target, entry.name)
        if entry.is_dir(follow_symlinks=False):
            os.mkdir(path, 0o700)
            os.chown(path, uid, uid)
            inner = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=source_fd)
            try:
                _copy_tree(inner, path, uid)
            finally:
                os.close(inner)
        elif entry.is_file(follow_symlinks=False):
            reader = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=source_fd)
            with os.fdopen(reader, "rb") as source, open(path, "wb") as sink:
                while chunk := source.read(1 << 20):
                    sink.write(chunk)
            os.chown(path, uid, uid)
