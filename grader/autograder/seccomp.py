"""A seccomp filter for student code where namespaces are refused: no network, no ptrace.

Gradescope's container runs as root under Docker's default seccomp profile, so bubblewrap's
namespaces are usually refused there. A filter of our own still works (no capability is
needed once `no_new_privs` is set): it refuses creating sockets (the network, and io_uring,
which can create them too), reading or writing another process (ptrace, process_vm_*), the
kernel keyring, and every way into a new namespace or mount. It is inherited by every child
and kept across exec. Only x86-64 is covered, where Gradescope runs; elsewhere the filter is
reported as unavailable.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import struct

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG0 = 0, 4, 16
CLONE = 56
NAMESPACE_FLAGS = 0x7E020000
"""CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
CLONE_NEWNET: a clone that asks for any of them is refused."""

REFUSED_X86_64: dict[str, int] = {
    "socket": 41,
    "ptrace": 101,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "setns": 308,
    "mount": 165,
    "umount2": 166,
    "pivot_root": 155,
    "chroot": 161,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
    "bpf": 321,
    "perf_event_open": 298,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "kexec_load": 246,
    "kexec_file_load": 320,
    "init_module": 175,
    "finit_module": 313,
    "delete_module": 176,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "syslog": 103,
    "acct": 163,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "sethostname": 170,
    "setdomainname": 171,
}
NOT_IMPLEMENTED_X86_64 = {"clone3": 435}
"""Answered ENOSYS, as Docker's profile does: the C library then falls back to clone, whose
flags the filter can read (clone3 passes them in memory, out of the filter's reach)."""


def available() -> str:
    """ "" where the filter can be built here, else why not, in a few words."""
    if platform.system() != "Linux":
        return "not Linux"
    if platform.machine() not in ("x86_64", "AMD64"):
        return f"no syscall table for {platform.machine()}"
    return ""


def program() -> bytes:
    """The filter as classic BPF instructions (struct sock_filter, native byte order)."""
    code: list[tuple[int, int, int, int]] = [
        (LD_W_ABS, 0, 0, OFFSET_ARCH),
        (JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
        (RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),  # another ABI (int 0x80): refused outright
        (LD_W_ABS, 0, 0, OFFSET_NR),
        (JGE_K, 0, 1, X32_SYSCALL_BIT),
        (RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),  # the x32 ABI: refused outright
    ]
    for table, answer in ((REFUSED_X86_64, errno.EPERM), (NOT_IMPLEMENTED_X86_64, errno.ENOSYS)):
        for number in table.values():
            code += [(JEQ_K, 0, 1, number), (RET_K, 0, 0, RET_ERRNO | answer)]
    code += [
        (JEQ_K, 0, 3, CLONE),
        (LD_W_ABS, 0, 0, OFFSET_ARG0),  # the low half of the flags (little-endian)
        (JSET_K, 0, 1, NAMESPACE_FLAGS),
        (RET_K, 0, 0, RET_ERRNO | errno.EPERM),
        (RET_K, 0, 0, RET_ALLOW),
    ]
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install() -> None:
    """Set no_new_privs and install the filter on this process (and all it starts), or raise
    OSError saying why not."""
    if reason := available():
        raise OSError(errno.ENOSYS, f"seccomp: {reason}")
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise _error(ctypes.get_errno(), "no_new_privs")
    code = program()
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _SockFprog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        raise _error(ctypes.get_errno(), "seccomp filter")


def _error(number: int, what: str) -> OSError:
    return OSError(number, f"{what}: {os.strerror(number)}")
