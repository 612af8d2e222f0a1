"""What the sandbox's seccomp filter costs per submission.

Run from the project root (no root needed: the filter is loaded under no_new_privs):

    .venv/bin/python benchmarks/seccomp_cost.py [ROUNDS]

Prints, in milliseconds: building and exporting the program with libseccomp (once per
grading process); a forked process loading it and exiting against one that only exits (each
submission's process loads it once); the time per system call it adds (a cheap call, getppid,
a million times with and without it); and the CPU time of one question's work with torch
(the correct second_order answers, 200 times) with and without it.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox import seccomp  # noqa: E402
from grader.worker import syscall_filter  # noqa: E402

CALLS = 1_000_000


def in_child(
    work: Callable[[], None], *, filtered: bool, clock: Callable[[], float] = time.process_time
) -> float:
    """Seconds (CPU by default) a forked child spends on `work`, after loading the filter if
    asked."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        if filtered:
            syscall_filter.install(seccomp.program())
        started = clock()
        work()
        os.write(write, repr(clock() - started).encode())
        os._exit(0)
    os.close(write)
    spent = float(os.read(read, 64))
    os.close(read)
    os.waitpid(pid, 0)
    return spent


def fork_and_exit(rounds: int, *, filtered: bool) -> float:
    """Milliseconds for a fork, (a load,) an exit and a wait, on average."""
    started = time.perf_counter()
    for _ in range(rounds):
        pid = os.fork()
        if pid == 0:
            if filtered:
                syscall_filter.install(seccomp.program())
            os._exit(0)
        os.waitpid(pid, 0)
    return (time.perf_counter() - started) / rounds * 1000


def cheap_calls() -> None:
    for _ in range(CALLS):
        os.getppid()


def torch_question() -> None:
    import torch
    from torch.autograd import grad

    for _ in range(200):
        x = torch.randn(64, 8, requires_grad=True)
        g = grad(torch.tanh(x @ torch.randn(8, 1)).sum(), x, create_graph=True)[0]
        g.pow(2).sum(1).mean().backward()


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    started = time.perf_counter()
    seccomp.program.cache_clear()
    program = seccomp.program()
    built = (time.perf_counter() - started) * 1000
    print(f"build and export: {built:.2f} ms once per grading process ({len(program) // 8} instructions)")
    plain, loaded = fork_and_exit(rounds, filtered=False), fork_and_exit(rounds, filtered=True)
    print(f"fork+exit {plain:.3f} ms, with the filter loaded {loaded:.3f} ms: {loaded - plain:+.3f} ms")
    load = [in_child(lambda: syscall_filter.install(program), filtered=False, clock=time.perf_counter)]
    load += [in_child(lambda: syscall_filter.install(program), filtered=False, clock=time.perf_counter)]
    print(f"loading it, timed inside the process: {min(load) * 1000:.3f} ms")
    bare, filtered = in_child(cheap_calls, filtered=False), in_child(cheap_calls, filtered=True)
    per_call = (filtered - bare) / CALLS * 1e9
    print(
        f"getppid: {bare / CALLS * 1e9:.0f} ns, filtered {filtered / CALLS * 1e9:.0f} ns: {per_call:+.0f} ns"
    )
    import torch  # noqa: F401 - imported before the fork, as the zygote does

    bare = [in_child(torch_question, filtered=False) for _ in range(5)]
    filtered = [in_child(torch_question, filtered=True) for _ in range(5)]
    print(f"torch question, best of 5: {min(bare) * 1000:.0f} ms CPU, filtered {min(filtered) * 1000:.0f} ms")
    print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")


if __name__ == "__main__":
    main()
