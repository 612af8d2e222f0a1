"""Confinement without namespaces: the seccomp filter, the uid drop, and what each refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.autograder.confinement import ContainerConfinement, seccomp_problem
from grader.sandbox import seccomp

RET_K = (0x06).to_bytes(2, sys.byteorder)  # BPF_RET | BPF_K
ALLOW = 0x7FFF0000  # SECCOMP_RET_ALLOW
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="drops to another uid: needs root")
PROBE = """
import ctypes, errno, os, socket, sys
def refused(call):
    try:
        call()
    except OSError as exc:
        return exc.errno
    return 0
libc = ctypes.CDLL(None, use_errno=True)
def raw(result):
    if result != 0:
        raise OSError(ctypes.get_errno(), "")
results = {
    "uid": os.getuid(),
    "socket": refused(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
    "unix socket": refused(lambda: socket.socket(socket.AF_UNIX)),
    "socketpair": refused(lambda: [s.close() for s in socket.socketpair()]),
    "unshare": refused(lambda: raw(libc.unshare(0x40000000))),
    "keyctl": refused(lambda: raw(libc.syscall(250, 0, 0, 0, 0, 0))),
    "ptrace": refused(lambda: raw(libc.ptrace(16, os.getppid(), 0, 0))),
    "secret": refused(lambda: open(sys.argv[1]).read()),
}
pid = os.fork()
if pid == 0:
    os._exit(7)
results["child"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
print(results)
"""


def test_the_filter_is_classic_bpf_that_allows_by_default():
    if seccomp.available():
        pytest.skip(f"no seccomp here: {seccomp.available()}")
    code = seccomp.program()
    assert len(code) % 8 == 0 and len(code) // 8 < 256
    returns = {code[i + 4 : i + 8] for i in range(0, len(code), 8) if code[i : i + 2] == RET_K}
    assert ALLOW.to_bytes(4, sys.byteorder) in returns


@root_only
def test_confined_python_is_an_unprivileged_uid_without_network_or_ptrace(tmp_path: Path):
    if seccomp_problem():
        pytest.skip(f"no seccomp here: {seccomp_problem()}")
    secret = tmp_path / "reference.py"
    secret.write_text("SOLUTION = 42\n")
    secret.chmod(0o600)
    tmp_path.chmod(0o711)
    confinement = ContainerConfinement(61987, "", None, "test")
    argv = confinement.launcher(["/usr/bin/python3", "-I", "-c", PROBE, str(secret)])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    found = eval(done.stdout)  # noqa: S307 - our own probe's dict of numbers
    assert found == {
        "uid": 61987,
        "socket": 1,  # EPERM
        "unix socket": 1,
        "socketpair": 0,
        "unshare": 1,
        "keyctl": 1,
        "ptrace": 1,
        "secret": 13,  # EACCES: only root may read it
        "child": 7,
    }


@root_only
def test_a_layer_that_fails_stops_the_program_before_it_starts(tmp_path: Path):
    marker = tmp_path / "started"
    argv = ContainerConfinement(61987, "", None, "").launcher(["/usr/bin/touch", str(marker)])
    argv[argv.index("--") : argv.index("--")] = ["--join", str(tmp_path / "no-such-group" / "cgroup.procs")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 70 and not marker.exists()
    assert done.stderr.startswith("confine: ") and len(done.stderr.strip().splitlines()) == 1


MEMORY_PROBE = """
import os, sys
sys.path.insert(0, sys.argv[2])  # the grader's source: any Python 3 runs its memory module
from grader.worker.memory import keep_memory_private
if sys.argv[1] == "private":
    keep_memory_private()
pid = os.fork()
if pid == 0:  # a question, say, trying its relay's memory and descriptors
    reached = []
    for door in ("mem", "fd"):
        try:
            if door == "mem":
                open(f"/proc/{os.getppid()}/mem", "r+b").close()
            else:
                os.listdir(f"/proc/{os.getppid()}/fd")
            reached.append(door)
        except PermissionError:
            pass
    print(",".join(reached) or "none", flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""


@root_only
@pytest.mark.parametrize(("mode", "reached"), [("private", "none"), ("plain", "mem,fd")])
def test_a_confined_worker_keeps_its_memory_from_its_own_children(mode: str, reached: str):
    """As the container runs it (setuid, then a new program: dumpable again), a child of the
    same uid reaches its parent's memory unless the parent made it private, as the zygote
    does before anything is forked from it."""
    confinement = ContainerConfinement(61986, "", None, "test")
    source = Path(__file__).resolve().parents[2]
    if any(os.stat(folder).st_mode & 0o005 != 0o005 for folder in (source, *source.parents)):
        pytest.skip(f"{source} is not open to another uid")
    argv = confinement.launcher(["/usr/bin/python3", "-I", "-c", MEMORY_PROBE, mode, str(source)])
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == reached


def test_a_process_that_is_not_dumpable_still_counts_for_its_uid():
    """/proc/PID belongs to root for such a process; the uid pool reads the real uid."""
    from grader.sandbox.uid_pool import _uids_with_processes

    assert os.getuid() in _uids_with_processes()
    own = Path(f"/proc/{os.getpid()}/status").read_text()
    assert f"Uid:\t{os.getuid()}" in own
