"""The system calls student code never needs, refused by a seccomp filter libseccomp builds.

Namespaces hide files, processes and the network, but not everything the kernel keeps per
uid: a key added to a uid's user keyring outlives the submission that added it and is there
for the next submission leased the same uid. This filter refuses the keyring and, after
Docker's default profile, every call a homework has no use for and an attack would: other
processes' memory, kernel surfaces (BPF, perf, userfaultfd, io_uring, modules, kexec), new
namespaces and mounts, the host's clock and state, and sockets. Refused calls fail with
EPERM (clone3 with ENOSYS, so the C library falls back to clone, whose flags the filter can
read); another ABI on the same CPU (x86's int 0x80, x32) gets ENOSYS for everything.

The filter is built here, in the trusted process, with libseccomp (through pyseccomp), and
exported as a classic BPF program: the bubblewrap sandbox hands it to the worker, which loads
it in each submission's process once its namespaces are made and it has dropped to its uid
(:mod:`grader.worker.syscall_filter`); a container without namespaces loads it in
:mod:`grader.autograder.confine`. It is inherited by every child and kept across exec.
"""

from __future__ import annotations

import errno
import functools
import platform
import tempfile
from typing import Any

REFUSED: dict[str, tuple[str, ...]] = {
    "kernel keyring (kept per uid, across submissions)": ("add_key", "request_key", "keyctl"),
    "another process's memory or files": (
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "process_madvise",
        "pidfd_getfd",
        "kcmp",
    ),
    "kernel surfaces": (
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "fanotify_init",
        "lookup_dcookie",
        "uselib",
        "_sysctl",
        "sysfs",
        "ustat",
        "ioperm",
        "iopl",
    ),
    "modules and kexec": (
        "init_module",
        "finit_module",
        "delete_module",
        "create_module",
        "get_kernel_syms",
        "query_module",
        "kexec_load",
        "kexec_file_load",
    ),
    "namespaces and mounts": (
        "unshare",
        "setns",
        "mount",
        "umount2",
        "pivot_root",
        "chroot",
        "open_tree",
        "move_mount",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "mount_setattr",
        "name_to_handle_at",
        "open_by_handle_at",
    ),
    "the host's state": (
        "syslog",
        "acct",
        "quotactl",
        "quotactl_fd",
        "nfsservctl",
        "swapon",
        "swapoff",
        "reboot",
        "sethostname",
        "setdomainname",
        "settimeofday",
        "clock_settime",
        "clock_adjtime",
        "vhangup",
    ),
    "the network (socketpair stays: it reaches no one else)": ("socket",),
}
"""Refused outright with EPERM, by group; a name this CPU does not have is left out."""

NOT_IMPLEMENTED = ("clone3",)
"""Answered ENOSYS, as Docker's profile does: clone3 passes its flags in memory, out of a
filter's reach, and the C library falls back to clone."""

NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
"""A clone whose flags (its first argument) ask for any of these is refused with EPERM."""

CLONE_FLAGS_FIRST = ("x86_64", "AMD64", "aarch64", "arm64")
"""CPUs whose clone takes its flags first (s390's does not): the filter is built for these."""


def available() -> str:
    """ "" where the filter can be built here, else why not, in a few words."""
    if platform.system() != "Linux":
        return "not Linux"
    if platform.machine() not in CLONE_FLAGS_FIRST:
        return f"clone's flags are not read on {platform.machine()}"
    try:
        _pyseccomp()
    except (ImportError, RuntimeError, OSError) as exc:
        return f"libseccomp cannot be loaded ({exc}): install pyseccomp and libseccomp2"
    return ""


def refused_names() -> list[str]:
    """Every call refused with EPERM on this CPU, in the order REFUSED lists them."""
    seccomp = _pyseccomp()
    names = [name for group in REFUSED.values() for name in group]
    return [name for name in names if seccomp.resolve_syscall(seccomp.Arch.NATIVE, name) >= 0]


def build() -> Any:
    """The filter as a libseccomp context (pyseccomp's SyscallFilter): allow, except these.
    Its `load()` sets no_new_privs and installs it; raises OSError where it cannot be built."""
    if reason := available():
        raise OSError(errno.ENOSYS, f"seccomp: {reason}")
    seccomp = _pyseccomp()
    refuse, not_implemented = seccomp.ERRNO(errno.EPERM), seccomp.ERRNO(errno.ENOSYS)
    syscalls = seccomp.SyscallFilter(seccomp.ALLOW)
    syscalls.set_attr(seccomp.Attr.ACT_BADARCH, not_implemented)
    syscalls.set_attr(seccomp.Attr.CTL_OPTIMIZE, 2)  # a binary tree: ~7 checks per call, not ~80
    for name in refused_names():
        syscalls.add_rule(refuse, name)
    for name in NOT_IMPLEMENTED:
        syscalls.add_rule(not_implemented, name)
    for flag in NAMESPACE_FLAGS.values():
        syscalls.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    return syscalls


@functools.cache
def program() -> bytes:
    """The filter as the classic BPF program the kernel loads (struct sock_filter array)."""
    with tempfile.TemporaryFile() as exported:
        build().export_bpf(exported)
        exported.seek(0)
        return exported.read()


def install() -> None:
    """Set no_new_privs and load the filter on this process (and all it starts), or raise
    OSError saying why not."""
    build().load()


def _pyseccomp() -> Any:
    """pyseccomp, imported on first use: it loads libseccomp as it is imported, which only
    Linux has, and `grader check` imports this module everywhere."""
    import pyseccomp

    return pyseccomp
