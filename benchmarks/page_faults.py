"""What fresh memory costs on this machine: the floor under every isolated submission.

    .venv/bin/python benchmarks/page_faults.py

Each question of a submission runs in a freshly forked process, so every page its code
touches is a new page fault. This prints what one costs here, in four forms, then what that
means for the homework's largest test (`hvp` at n = 2,000,000, float32 and float64, the
reference solution) run warm in this process and in a fresh fork of it:

  - first touch of anonymous memory, 4 KiB pages (what a fresh process pays);
  - the same, populated in one call (MADV_POPULATE_WRITE), which skips the trap per page;
  - touching shared memory whose pages are already resident (the trap and mapping alone);
  - transparent huge pages (2 MiB), freed and touched again at once, and again after 5 s,
    by when a virtual machine may have handed the freed memory back to its host.

Not part of the test suite. Run it on an idle machine.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1 << 20
PAGE = mmap.PAGESIZE
HUGE = 2 * MIB
MADV_HUGEPAGE, MADV_POPULATE_WRITE = 14, 23  # from <sys/mman.h>

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
PROT_RW, MAP_PRIVATE_ANONYMOUS = 3, 0x22


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def timed(action: Callable[[], None]) -> tuple[float, int]:
    """Seconds and minor page faults that `action` took."""
    faults, started = minor_faults(), time.perf_counter()
    action()
    return time.perf_counter() - started, minor_faults() - faults


def anonymous(size: int, align: int = PAGE) -> tuple[int, int]:
    """A private anonymous mapping: (address aligned to `align`, mapping start)."""
    start = libc.mmap(None, size + align, PROT_RW, MAP_PRIVATE_ANONYMOUS, -1, 0)
    if start in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap failed")
    return (start + align - 1) & ~(align - 1), start


def first_touch_4k(size: int) -> tuple[float, int]:
    address, start = anonymous(size)
    try:
        return timed(lambda: ctypes.memset(address, 1, size))
    finally:
        libc.munmap(start, size + PAGE)


def populated_4k(size: int) -> tuple[float, int]:
    address, start = anonymous(size)
    try:
        return timed(lambda: libc.madvise(address, size, MADV_POPULATE_WRITE))
    finally:
        libc.munmap(start, size + PAGE)


def resident_shared(size: int) -> tuple[float, int]:
    fd = os.memfd_create("resident")
    try:
        os.ftruncate(fd, size)
        with mmap.mmap(fd, size) as warm:
            warm.write(b"\1" * size)  # now every page is resident
        with mmap.mmap(fd, size) as fresh:
            address = ctypes.addressof(ctypes.c_char.from_buffer(fresh))
            return timed(lambda: ctypes.memset(address, 2, size))
    finally:
        os.close(fd)


def huge_pages(size: int, idle_before: float) -> tuple[float, int]:
    """Touch huge pages, free them, wait `idle_before`, then time touching as many again."""

    def touch() -> tuple[float, int]:
        address, start = anonymous(size, HUGE)
        try:
            libc.madvise(address, size, MADV_HUGEPAGE)
            return timed(lambda: ctypes.memset(address, 1, size))
        finally:
            libc.munmap(start, size + HUGE)

    touch()
    time.sleep(idle_before)
    return touch()


def report(label: str, size: int, measured: tuple[float, int]) -> None:
    seconds, faults = measured
    per_page = seconds / (size // PAGE) * 1e6
    print(
        f"  {label:55s} {seconds * 1000:7.1f} ms per {size // MIB} MiB  "
        f"{faults:7d} faults  {per_page:5.2f} us per 4 KiB"
    )


def hvp_pair() -> None:
    """The reference's hvp at n = 2,000,000 in float32 and float64, as the hidden test runs it."""
    import torch

    sys.path[:0] = [str(ROOT / "reference" / "second_order"), str(ROOT / "assignments" / "second_order")]
    import probes  # the assignment's helper functions
    import second_order as reference

    for dtype in (torch.float32, torch.float64):
        x = torch.linspace(-1, 1, 2_000_000, dtype=dtype)
        v = torch.ones_like(x)
        reference.hvp(probes.rosenbrock(torch.tensor(100.0, dtype=dtype)), x, v)


def in_fresh_fork(action: Callable[[], None]) -> tuple[float, int, float]:
    """Wall seconds, minor faults and kernel CPU seconds of `action` in a forked child."""
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        action()
        os._exit(0)
    _, _, usage = os.wait4(pid, 0)
    return time.perf_counter() - started, usage.ru_minflt, usage.ru_stime


def main() -> None:
    import torch

    torch.set_num_threads(1)  # as in the worker
    size = 256 * MIB
    print(f"page faults on this machine ({os.uname().release}), {size // MIB} MiB each:")
    report("first touch, 4 KiB pages (a fresh process)", size, first_touch_4k(size))
    report("populated in one call (MADV_POPULATE_WRITE)", size, populated_4k(size))
    report("shared memory already resident (mapping only)", size, resident_shared(size))
    report("huge pages (2 MiB), freed and touched again at once", size, huge_pages(size, 0.0))
    report("huge pages, freed and touched again 5 s later", size, huge_pages(size, 5.0))
    print("the hidden hvp test's work (reference hvp, n = 2,000,000, float32 + float64):")
    hvp_pair()  # pays torch's first-use costs here
    seconds, faults = timed(hvp_pair)
    print(f"  {'warm, in this process':55s} {seconds:7.3f} s   {faults:7d} faults")
    for _ in range(3):
        seconds, faults, kernel = in_fresh_fork(hvp_pair)
        print(
            f"  {'in a fresh fork of this process':55s} {seconds:7.3f} s   {faults:7d} faults"
            f"  ({kernel:.3f} s of it in the kernel)"
        )


if __name__ == "__main__":
    main()
