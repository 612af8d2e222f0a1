"""Start a program confined as a container allows, without namespaces.

`python -m grader.autograder.confine --uid U [--join FILE]... [--seccomp] -- PROGRAM...`
runs as root, and before it becomes PROGRAM: writes itself into the control group files
given (everything it starts is then counted there), asks the kernel's out-of-memory killer
to take it first (so a student's allocation never costs the grading process), drops every
group and becomes uid U (which clears its capabilities), sets no_new_privs and installs the
seccomp filter of :mod:`grader.sandbox.seccomp` (the sandbox's own). Each step that was asked for and fails
ends it with status 70 and one line on stderr: it never starts PROGRAM less confined than
asked. It imports nothing of the grader but that filter, and runs no student code itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from grader.sandbox import seccomp

FAILED = 70


def confine(uid: int, join: Sequence[str], *, filter_syscalls: bool) -> None:
    """Apply every layer to this process, in the order that keeps each one possible."""
    syscalls = seccomp.build() if filter_syscalls else None  # as root: libseccomp may be root's
    for procs in join:  # while still root: the group's files are root's
        with open(procs, "w") as stream:
            stream.write("0")
    with open("/proc/self/oom_score_adj", "w") as stream:
        stream.write("1000")  # raising it needs no privilege; lowering it back would
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)  # real, effective and saved: no way back to root, no capability left
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError(f"still uid {os.geteuid()} after setuid({uid})")
    if syscalls is not None:
        syscalls.load()  # sets no_new_privs first


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m grader.autograder.confine")
    parser.add_argument("--uid", type=int, required=True)
    parser.add_argument("--join", action="append", default=[], metavar="CGROUP_PROCS")
    parser.add_argument("--seccomp", action="store_true")
    parser.add_argument("program", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    program = options.program[1:] if options.program[:1] == ["--"] else options.program
    if not program or options.uid <= 0:
        parser.error("give --uid (not 0) and a program after --")
    try:
        confine(options.uid, options.join, filter_syscalls=options.seccomp)
        os.execv(program[0], program)
    except OSError as exc:
        print(f"confine: {exc}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(FAILED)


if __name__ == "__main__":
    main()
