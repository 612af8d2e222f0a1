"""What a control group per sandboxed submission costs, beside a fork and a plain folder.

Run from the project root, as root where a cgroup hierarchy is writable:

    .venv/bin/python benchmarks/cgroup_cost.py [ROUNDS]

In one process, ROUNDS times each: a submission's group made with its limits and removed; a
grading process's folders opened and closed (once per process); and two baselines, a process
forked and waited for (each question of a submission runs in one) and a plain folder made and
removed in the temporary folder. Prints milliseconds each and the group's cost as a multiple
of each baseline. Not part of the tests: tests/sandbox/test_cgroups.py checks that every group
is removed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox.cgroups import Cgroups, open_cgroups  # noqa: E402

MEMORY_MIB, PROCESSES = 256, 16


def ms_each(action: Callable[[], object], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        action()
    return (time.perf_counter() - started) / rounds * 1e3


def opened() -> Cgroups:
    made, reason = open_cgroups(MEMORY_MIB, PROCESSES, sandboxed=False)
    if made is None:
        sys.exit(f"cgroup_cost: {reason}")
    return made


def fork_and_wait() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def main(rounds: int) -> None:
    made = opened()
    try:
        group = ms_each(lambda: made.group().remove(), rounds)
    finally:
        made.close()
    folders = ms_each(lambda: opened().close(), rounds)
    forked = ms_each(fork_and_wait, rounds)
    with tempfile.TemporaryDirectory() as scratch:
        plain = Path(scratch) / "plain"
        folder = ms_each(lambda: (plain.mkdir(), plain.rmdir()), rounds)
    print(f"cgroup v{made.version}, {rounds} rounds each, in one process")
    print(f"a submission's group, made with its limits and removed: {group:.3f} ms")
    print(f"a grading process's folders, opened and closed: {folders:.3f} ms")
    print(f"baseline, a fork waited for: {forked:.3f} ms (the group costs {group / forked:.2f} x)")
    print(
        f"baseline, a plain folder made and removed: {folder:.3f} ms (the group costs {group / folder:.1f} x)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
