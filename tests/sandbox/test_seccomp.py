"""The seccomp filter refuses what a submission never needs, and nothing a homework uses.

Built with libseccomp on the trusted side (grader/sandbox/seccomp.py), loaded by each
submission's process in the sandbox once it has dropped to its uid (and in a container by
grader/autograder/confine.py). Here: every refused call fails with EPERM (clone3 with ENOSYS)
in a process that loaded it, and inside the sandbox, from a child interpreter a question
starts; fork, threads and subprocesses still work; the documentation names every refused call.
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import threading

import pytest

from grader.intake.submission import Submission
from grader.sandbox import seccomp
from grader.worker import syscall_filter
from tests.conftest import ROOT, SANDBOX_GROUP

needs_filter = pytest.mark.skipif(bool(seccomp.available()), reason=f"no seccomp: {seccomp.available()}")
SIGCHLD = 17
PROBE = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def tried(number, first=-1):
    result = libc.syscall(ctypes.c_long(number), ctypes.c_long(first), *[ctypes.c_long(-1)] * 4)
    if result == 0 and number == CLONE:
        os._exit(0)  # a clone the filter let through: its child leaves at once
    return ctypes.get_errno() if result < 0 else 0
answers = [tried(number) for number in NUMBERS]
answers += [tried(CLONE, flag | 17) for flag in FLAGS] + [tried(CLONE3, 0)]
print(",".join(map(str, answers)))
"""


def numbers() -> dict[str, int]:
    import pyseccomp

    return {name: pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name) for name in seccomp.refused_names()}


def probe_source() -> str:
    """A program that tries every refused call (all arguments -1: harmless were one let
    through) and prints each errno, in the order of `expected()`."""
    import pyseccomp

    def number(name: str) -> int:
        return int(pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name))

    constants = (
        f"NUMBERS = {list(numbers().values())}\nFLAGS = {list(seccomp.NAMESPACE_FLAGS.values())}\n"
        f"CLONE = {number('clone')}\nCLONE3 = {number('clone3')}\n"
    )
    return constants + PROBE


def expected() -> list[int]:
    return [errno.EPERM] * (len(seccomp.refused_names()) + len(seccomp.NAMESPACE_FLAGS)) + [errno.ENOSYS]


def in_filtered_child(check) -> int:
    """Run `check` in a forked child that loaded the filter the worker loads; its exit code."""
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            syscall_filter.install(seccomp.program())
            code = check()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_the_keyring_and_the_reference_list_are_refused():
    names = {name for group in seccomp.REFUSED.values() for name in group}
    assert {"add_key", "request_key", "keyctl"} <= names
    assert {"ptrace", "process_vm_readv", "bpf", "perf_event_open", "userfaultfd", "io_uring_setup"} <= names
    assert {"mount", "unshare", "setns", "kexec_load", "init_module", "socket"} <= names


def test_the_documentation_names_every_refused_call():
    text = (ROOT / "docs" / "security.md").read_text() + (ROOT / "README.md").read_text()
    missing = [name for group in seccomp.REFUSED.values() for name in group if f"`{name}`" not in text]
    assert missing == []
    assert "`clone3`" in text


@needs_filter
def test_each_refused_call_fails_with_eperm_in_a_process_that_loaded_it():
    done = subprocess.run(
        [sys.executable, "-I", "-c", "import sys; exec(sys.argv[1])", probe_source()],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: syscall_filter.install(seccomp.program()),
    )
    assert done.returncode == 0, done.stderr
    answers = [int(n) for n in done.stdout.split(",")]
    names = [*seccomp.refused_names(), *seccomp.NAMESPACE_FLAGS, "clone3"]
    assert dict(zip(names, answers, strict=True)) == dict(zip(names, expected(), strict=True))


@needs_filter
def test_what_a_homework_uses_still_works():
    def check() -> int:
        thread = threading.Thread(target=lambda: None)
        thread.start()
        thread.join()
        left, right = socket.socketpair()
        left.close(), right.close()
        done = subprocess.run(
            [sys.executable, "-I", "-c", "import os; print(os.getpid())"], capture_output=True
        )
        pid = os.fork()
        if pid == 0:
            os._exit(5)
        forked = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        return 0 if done.returncode == 0 and forked == 5 else 1

    assert in_filtered_child(check) == 0


@needs_filter
def test_a_network_socket_is_refused_and_the_filter_cannot_be_lifted():
    def check() -> int:
        try:
            socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as exc:
            refused = exc.errno == errno.EPERM
        else:
            return 1
        try:
            syscall_filter.install(b"\x06\x00\x00\x00\x00\x00\xff\x7f")  # "allow all": filters stack
            socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        except OSError:
            return 0 if refused else 1
        return 1

    assert in_filtered_child(check) == 0


@pytest.mark.slow
@SANDBOX_GROUP
def test_each_refused_call_fails_with_eperm_inside_the_sandbox(tmp_path):
    """A question's child interpreter tries each call; the answers come back in its message
    (the probe travels as hex: the static look would otherwise take its `ctypes` for a door)."""
    from tests.sandbox.test_isolation import sandboxed_grader

    spy = tmp_path / "spy.py"
    spy.write_text(
        "import subprocess, sys\n"
        "def first_order_grads(x, y):\n"
        f"    probe = bytes.fromhex({probe_source().encode().hex()!r}).decode()\n"
        "    done = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True)\n"
        "    print('answers: ' + done.stdout.strip() + ' ' + done.stderr[-300:])\n"
        "    raise RuntimeError('asked')\n"
    )
    with sandboxed_grader("second_order") as grader:
        result, _ = grader.grade(Submission.at(spy))
    # starting the child is tampering in itself (the audit hook): its answers are read from
    # what the question printed
    message = result.output
    answers = [int(n) for n in message.split("answers: ")[1].split()[0].split(",")]
    names = [*seccomp.refused_names(), *seccomp.NAMESPACE_FLAGS, "clone3"]
    assert dict(zip(names, answers, strict=True)) == dict(zip(names, expected(), strict=True))
