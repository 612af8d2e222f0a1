"""Which confinement student code gets in the container, and one line saying so.

Bubblewrap when it can work as it does on a grading machine (root holding CAP_SYS_ADMIN, as a
privileged container gives): namespaces, a uid per submission, a control group. Otherwise,
as in Gradescope's default container (Docker's capabilities and seccomp profile, which refuse
namespaces), the worker is started through :mod:`grader.autograder.confine`: an unprivileged
uid that cannot read the reference, the hidden tests or the results, the per-process limits,
a control group for the worker where the hierarchy is writable, the out-of-memory killer
pointed at it, and a seccomp filter where the kernel takes one.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from dataclasses import dataclass

from grader.sandbox import seccomp
from grader.sandbox.cgroups import SubmissionGroup

CAP_SYS_ADMIN = 21


@dataclass
class ContainerConfinement:
    """The worker confined without namespaces: a uid, limits, a group, a filter."""

    uid: int
    seccomp_problem: str
    """"" when the filter is in force, else why not."""
    group: SubmissionGroup | None
    group_problem: str

    def launcher(self, argv: list[str]) -> list[str]:
        """The worker's command line, started through the confining program."""
        joins = [argument for procs in self._joins() for argument in ("--join", procs)]
        filtered = [] if self.seccomp_problem else ["--seccomp"]
        return [
            sys.executable,
            "-I",
            "-m",
            "grader.autograder.confine",
            "--uid",
            str(self.uid),
            *joins,
            *filtered,
            "--",
            *argv,
        ]

    def _joins(self) -> list[str]:
        return (
            [str(folder / "cgroup.procs") for _, folder in sorted(self.group.folders.items())]
            if self.group
            else []
        )

    def layers(self) -> str:
        """What is in force, in one line, for the instructor."""
        parts = [
            f"uid {self.uid} (not root, no capabilities)",
            "rlimits (address space, CPU, files, processes)",
            "oom_score_adj 1000",
            f"control group {self.group.memory_mib} MiB, {self.group.processes} processes"
            if self.group
            else f"no control group ({self.group_problem})",
            "seccomp: socket, ptrace, keyring, namespaces, mounts and kernel surfaces refused"
            if not self.seccomp_problem
            else f"no seccomp filter ({self.seccomp_problem})",
        ]
        return "confinement: " + "; ".join(parts)


def holds_sys_admin() -> bool:
    """Whether this process holds CAP_SYS_ADMIN (Docker's default capabilities do not)."""
    try:
        with open("/proc/self/status") as stream:
            for line in stream:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> CAP_SYS_ADMIN & 1)
    except (OSError, ValueError):
        pass
    return False


def seccomp_problem() -> str:
    """ "" if the filter installs here and refuses a socket, else why not (probed in a child)."""
    if reason := seccomp.available():
        return reason
    pid = os.fork()
    if pid == 0:
        os._exit(_probe_filter())
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return {0: "", 1: "the kernel took it but a socket was still made"}.get(code, "the kernel refused it")


def _probe_filter() -> int:
    try:
        seccomp.install()
    except OSError:
        return 2
    try:
        socket.socket().close()
    except OSError as exc:
        return 0 if exc.errno == errno.EPERM else 1
    return 1
