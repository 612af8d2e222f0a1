"""Pipe I/O on every platform (grader/wire/pipes.py): both kinds of pipe set behave alike here,
the Windows-only steps are exercised with the platform's functions stubbed, and `grader check`
imports without the POSIX-only modules Windows lacks."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import types

import pytest

from grader.wire import pipes
from tests.conftest import ROOT

WINDOWS = sys.platform == "win32"


@pytest.fixture(
    params=[
        pytest.param(False, marks=pytest.mark.skipif(WINDOWS, reason="select() takes no pipes on Windows")),
        True,
    ],
    ids=["select", "polled"],
)
def portable(request):
    return request.param


@pytest.fixture
def pipe():
    read, write = os.pipe()
    ends = {"read": read, "write": write}
    yield ends
    for fd in ends.values():
        with contextlib.suppress(OSError):
            os.close(fd)


def test_a_wait_times_out_then_sees_bytes_then_the_end(pipe, portable):
    waiting = pipes.open_pipes({"in": pipe["read"]}, portable=portable)
    started = time.monotonic()
    assert waiting.wait(["in"], timeout=0.2) == (set(), False)
    assert time.monotonic() - started >= 0.15  # it waited for its timeout
    with pytest.raises(BlockingIOError):
        waiting.read("in", 10)
    os.write(pipe["write"], b"hello")
    assert waiting.wait(["in"], timeout=5) == ({"in"}, False)
    view = memoryview(bytearray(3))
    assert waiting.readinto("in", view) == 3 and bytes(view) == b"hel"
    assert waiting.read("in", 10) == b"lo"
    os.close(pipe.pop("write"))
    assert waiting.wait(["in"], timeout=5) == ({"in"}, False)  # its end is readable
    assert waiting.read("in", 10) == b""
    waiting.close()


def test_a_write_takes_a_piece_and_a_gone_reader_breaks_the_pipe(pipe, portable):
    """More than a pipe holds is written a piece at a time, each wait also watching a pipe
    read; once the reader is gone, the write side reports a broken pipe."""
    back_read, back_write = os.pipe()
    both = pipes.open_pipes({"back": back_read}, pipe["write"], portable=portable)
    data, sent, received = memoryview(os.urandom(3 << 20)), 0, bytearray()

    def receive():
        while len(received) < len(data):
            received.extend(os.read(pipe["read"], 1 << 20))

    reader = threading.Thread(target=receive, daemon=True)
    reader.start()
    try:
        writes = 0
        while sent < len(data):
            readable, writable = both.wait(["back"], write=True, timeout=5)
            assert writable and not readable, "a wait with a writable pipe timed out"
            sent += both.write(data[sent:])
            writes += 1
        reader.join(timeout=30)
        assert received == data and writes >= 3  # a piece of at most pipes.CHUNK each
        os.write(back_write, b"!")
        assert both.wait(["back"], write=True, timeout=5)[0] == {"back"}
        os.close(pipe.pop("read"))
        with pytest.raises(BrokenPipeError):
            for _ in range(100):
                _, writable = both.wait([], write=True, timeout=5)
                if writable:
                    both.write(memoryview(b"x" * 65536))
    finally:
        both.close()
        os.close(back_read)
        os.close(back_write)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts the child's /proc/self/fd")
def test_posix_passes_descriptors_to_a_child_and_only_those(pipe):
    names, handing = pipes.pass_to_child([pipe["write"]])
    assert handing == {"pass_fds": (pipe["write"],), "close_fds": True}
    script = (
        "import os, sys\nfrom grader.wire import pipes\n"
        "(fd,) = pipes.take_from_parent(sys.argv[1], 1)\n"
        "os.write(fd, b'from the child %d' % len(os.listdir('/proc/self/fd')))\n"
    )
    child = subprocess.run([sys.executable, "-c", script, names], cwd=ROOT, timeout=60, **handing)
    assert child.returncode == 0
    os.close(pipe.pop("write"))
    # stdin, stdout, stderr, the pipe end and listdir's own descriptor: nothing else
    assert os.read(pipe["read"], 100) == b"from the child 5"


def test_a_child_refuses_a_malformed_list_of_pipe_ends():
    with pytest.raises(ValueError, match="expected 4 pipe ends"):
        pipes.take_from_parent("4,5,x,7", 4)
    with pytest.raises(ValueError, match="expected 4 pipe ends"):
        pipes.take_from_parent("4,5", 4)


@pytest.fixture
def windows(monkeypatch):
    """sys.platform is win32, with msvcrt, _winapi, STARTUPINFO and handle inheritance
    stubbed: a handle is its descriptor + 1000."""
    calls = []
    msvcrt = types.SimpleNamespace(
        get_osfhandle=lambda fd: fd + 1000,
        open_osfhandle=lambda handle, flags: calls.append(("open", handle)) or handle - 1000,
    )
    monkeypatch.setitem(sys.modules, "msvcrt", msvcrt)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(
        os,
        "set_handle_inheritable",
        lambda handle, inheritable: calls.append((inheritable, handle)),
        raising=False,
    )

    class StartupInfo:
        def __init__(self, lpAttributeList):
            self.lpAttributeList = lpAttributeList

    monkeypatch.setattr(subprocess, "STARTUPINFO", StartupInfo, raising=False)
    return calls


def test_windows_passes_inheritable_handles_in_the_handle_list(windows):
    names, handing = pipes.pass_to_child([4, 7])
    assert names == "1004,1007"
    assert "pass_fds" not in handing and handing["close_fds"] is True
    assert handing["startupinfo"].lpAttributeList == {"handle_list": [1004, 1007]}
    assert windows == [(True, 1004), (True, 1007)]
    windows.clear()
    assert pipes.take_from_parent(names, 2) == [4, 7]  # the child's side
    assert windows == [(False, 1004), ("open", 1004), (False, 1007), ("open", 1007)]


def test_windows_polls_a_pipe_with_peeknamedpipe(windows, monkeypatch):
    answers = {1003: (5, 0), 1004: (0, 0)}

    def peek(handle, size):
        assert size == 0
        if handle not in answers:
            raise BrokenPipeError(109, "The pipe has been ended")
        return answers[handle]

    monkeypatch.setitem(sys.modules, "_winapi", types.SimpleNamespace(PeekNamedPipe=peek))
    readable = pipes.readable_now()
    assert readable is pipes._windows_readable
    assert [readable(3), readable(4), readable(5)] == [True, False, True]  # bytes, none, its end
    assert pipes.portable_by_default()  # select takes no pipes there, whatever is asked


def test_the_environment_chooses_the_pipes_and_passes_on_only_a_known_choice(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv(pipes.ENVIRONMENT, raising=False)
    assert not pipes.portable_by_default() and pipes.environment() == {}
    assert isinstance(pipes.open_pipes({}), pipes.SelectPipes)
    monkeypatch.setenv(pipes.ENVIRONMENT, "Portable")
    assert pipes.portable_by_default() and pipes.environment() == {pipes.ENVIRONMENT: "portable"}
    assert isinstance(pipes.open_pipes({}), pipes.PolledPipes)
    monkeypatch.setenv(pipes.ENVIRONMENT, "bogus")
    assert not pipes.portable_by_default() and pipes.environment() == {}


POSIX_ONLY = ("fcntl", "resource", "pwd", "grp", "termios", "pty", "tty", "crypt", "syslog")


def test_grader_check_imports_without_the_modules_windows_lacks():
    """A Windows import, simulated: the POSIX-only modules are missing, and so are os.fork,
    os.killpg and the signals Windows has not."""
    script = (
        "import os, signal, sys\n"
        f"for name in {POSIX_ONLY!r}:\n    sys.modules[name] = None\n"
        "for name in ('fork', 'killpg', 'getuid', 'geteuid', 'setsid', 'register_at_fork'):\n"
        "    if hasattr(os, name):\n        delattr(os, name)\n"
        "for name in ('SIGKILL', 'SIGXCPU', 'SIGXFSZ', 'SIGALRM', 'SIGCHLD'):\n"
        "    if hasattr(signal, name):\n        delattr(signal, name)\n"
        "import grader.cli, grader.commands.check, grader.worker.portable\n"
        "from grader.worker_client import _describe_exit\n"
        "print(_describe_exit(-11, 'calling hvp').message)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "the submission crashed with a segmentation fault while calling hvp"


NOT_ON_WINDOWS = (
    "fork",
    "killpg",
    "getuid",
    "geteuid",
    "getgid",
    "setsid",
    "getpgid",
    "setpgid",
    "register_at_fork",
    "WNOHANG",
    "O_NOFOLLOW",
    "O_NONBLOCK",
    "O_NOCTTY",
    "O_CLOEXEC",
    "O_DIRECTORY",
    "readv",
    "writev",
    "uname",
    "sched_getaffinity",
    "getloadavg",
    "chown",
    "statvfs",
    "pipe2",
    "sysconf",
    "unshare",
)
WINDOWS_IMPORT = f"""
import os, signal, sys, ctypes, ctypes.util, platform, subprocess, select, threading, shutil
import tempfile, sqlite3, numpy, torch  # the standard library and packages: imported as usual
for name in {POSIX_ONLY!r}:
    sys.modules[name] = None
for name in {NOT_ON_WINDOWS!r}:
    if hasattr(os, name):
        delattr(os, name)
for name in ("SIGKILL", "SIGXCPU", "SIGXFSZ", "SIGALRM", "SIGCHLD", "SIGHUP", "SIGPIPE"):
    if hasattr(signal, name):
        delattr(signal, name)
real_cdll = ctypes.CDLL
def cdll(name, *args, **kwargs):
    if name is None:
        raise TypeError("Windows has no C library to load by name None")
    return real_cdll(name, *args, **kwargs)
ctypes.CDLL = cdll
ctypes.util.find_library = lambda name: None  # Windows finds no "c"
import grader.cli, grader.commands.check, grader.worker.portable, grader.worker.question
print("imported")
"""


@pytest.mark.slow
def test_grader_check_imports_as_on_windows():
    """The whole simulation: no POSIX-only module, os function, flag or signal, and no C
    library found by name, with the standard library and packages imported first as usual."""
    run = subprocess.run(
        [sys.executable, "-c", WINDOWS_IMPORT], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "imported"


def test_the_import_simulation_can_fail():
    """The simulation above really removes a module: importing it then fails."""
    script = "import sys\nsys.modules['fcntl'] = None\nimport fcntl\n"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "fcntl" in run.stderr
