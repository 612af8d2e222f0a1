"""Load the seccomp filter the grader built, in a submission's process before any student code.

The program is built and exported by libseccomp on the trusted side
(:mod:`grader.sandbox.seccomp`) and reaches the worker on its command line: this module only
hands those bytes to the kernel. It is loaded once the submission's namespaces and mounts are
made and it has dropped to its uid, so the filter may refuse them; every question process and
everything it starts inherits it, and nothing can remove it.
"""

from __future__ import annotations

import ctypes
import os

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
INSTRUCTION_BYTES = 8  # struct sock_filter


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install(program: bytes) -> None:
    """Set no_new_privs and load `program` (classic BPF) on this process, or raise OSError."""
    if not program or len(program) % INSTRUCTION_BYTES:
        raise OSError(f"seccomp: a program of {len(program)} bytes is no filter")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise _error(ctypes.get_errno(), "no_new_privs")
    code = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // INSTRUCTION_BYTES, ctypes.cast(code, ctypes.c_void_p))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        raise _error(ctypes.get_errno(), "seccomp filter")


def _error(number: int, what: str) -> OSError:
    return OSError(number, f"{what}: {os.strerror(number)}")
