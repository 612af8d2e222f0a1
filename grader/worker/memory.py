"""How the worker uses memory: huge pages for the warm zygote, small pages for student code.

Every fork copies the zygote's page tables, and every process a submission starts is a fork
of it (one per submission, one per question). With its memory in 2 MiB pages (glibc's
`hugetlb` tunable), a fork has far fewer entries to copy: measured here, a fork and exit
of a torch-loaded process took 7-11 ms instead of 14 ms, and a batch of 40 `second_order`
submissions about 5% less time (three A/B pairs). Student code gets small pages
again (`PR_SET_THP_DISABLE`, inherited by every process it starts): huge pages freed by one
submission are, on a virtual machine, often handed back to the host before the next one
asks, and touching them again costs more than small pages would
(`benchmarks/page_faults.py`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import os

WORKER_MALLOC = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": str(64 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(256 << 20),
    "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
}
"""glibc settings for the worker. `hugetlb=1`: the zygote's heap in huge pages (above). The
rest: each question runs in a fresh child, where every page is a new page fault; a tensor
freed there is kept in the heap (up to 64 MiB each, 256 MiB at the top) for the next one
instead of being unmapped and faulted in again. Measured on a batch of 60 `second_order`
submissions: about 9% less CPU time."""

THP_SETTINGS = "/sys/kernel/mm/transparent_hugepage"
"""Where glibc reads the huge page size; the sandbox shows it, read-only."""

PR_SET_THP_DISABLE = 41  # from <linux/prctl.h>
PR_SET_DUMPABLE = 4


@functools.cache
def libc() -> ctypes.CDLL | None:
    """The C library, loaded once per process and its forks: on POSIX the symbols the
    process already has (finding it by name runs `ldconfig -p`, a child process, about
    10 ms on a worker's start), else by name."""
    if os.name == "posix":
        with contextlib.suppress(OSError):
            return ctypes.CDLL(None)
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name is not None else None
    except OSError:
        return None


def small_pages_from_now_on() -> None:
    """Give this process, and every process it starts, small pages only (Linux; else no-op)."""
    library = libc()
    if library is None:
        return
    with contextlib.suppress(AttributeError):
        library.prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)


def keep_memory_private() -> None:
    """Let no other process of this uid open this process's memory or descriptors
    (`/proc/PID/mem`, `/proc/PID/fd`) or trace it; every fork inherits it (Linux; else no-op).

    In a container the zygote, each submission's relay and each question run as one uid, and a
    program started after a `setuid` is dumpable again: student code in a question could
    otherwise write into its relay's memory and answer for the questions after its own. A
    process that drops to its uid without a new program (the sandbox's) is not dumpable
    already; this makes every mode alike.
    """
    library = libc()
    if library is None:
        return
    with contextlib.suppress(AttributeError):
        library.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
