"""The trusted side of the worker: start it, send requests, enforce time limits, replace it.

One :class:`Zygote` (a worker that has imported torch) serves a grader's submissions one
after another; each submission gets a process of its own forked from it, and each question a
child of that (:class:`SubmissionWorkers`). A worker that hangs is killed at its time limit,
charged to the submission's own CPU time (:mod:`grader.sandbox.time_limit`); one that dies is
described from its exit status. Either way the next request starts a fresh one, so one question's
failure never costs another question its grade.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader import problems, untrusted_text
from grader.captured_output import CapturedOutput
from grader.sandbox.process_tree import ProcessTree
from grader.sandbox.time_limit import WALL_FACTOR, CpuMeter, GroupMeter, TimeLimit
from grader.wire import pipes, protocol
from grader.wire.limits import ResourceLimits
from grader.wire.vocabulary import ErrorKind, Op, Scope
from grader.worker.memory import WORKER_MALLOC
from grader.worker_mode import MODULES, PORTABLE, worker_module

OUTPUT_PER_REPLY = 64 * 1024
WINDOWS_ENVIRONMENT = ("SYSTEMROOT", "WINDIR", "TEMP", "TMP", "PATHEXT", "LOCALAPPDATA")
"""What a Python (and torch's DLLs) on Windows needs in its environment to start."""
WINDOWS_CRASHES = {0xC0000005: "an access violation (a segmentation fault)", 0xC00000FD: "a stack overflow"}
"""Exit codes of a Windows process the system ended (its NTSTATUS), as Popen reports them."""

Launcher = Callable[[list[str]], list[str]]
"""Wraps the worker's command line, e.g. in a sandbox; the identity runs it directly."""


@dataclass(frozen=True)
class WorkerSpec:
    """How to start the zygote: limits, the sandbox wrapper, its folder."""

    folder: Path
    home: Path
    limits: ResourceLimits = field(default_factory=ResourceLimits)
    launcher: Launcher = lambda argv: argv
    warm_optimizer: bool = False
    forbid: tuple[str, ...] = ()
    """The worker's `--forbid MODULE:NAMES` arguments: the assignment's forbidden helpers."""
    isolate: bool = False


@dataclass(frozen=True)
class SubmissionSpec:
    """One submission: where its module is, and how long its import may take."""

    module_path: Path
    module_name: str
    probes_path: Path
    workdir: Path
    import_seconds: float = 60.0
    uid: int | None = None
    disk_mib: int = 64
    cgroup: Any = None
    """The submission's control group (:class:`grader.sandbox.cgroups.SubmissionGroup`), if any: its
    first process joins it before anything else, and a process the kernel killed for its
    memory limit loses the question in flight."""


def _describe_exit(returncode: int | None, during: str) -> problems.StudentProblem:
    """Say how a process ended, in the student's terms (negative codes are signals).

    The code may come from a reply, so one no process can have is described as unknown.
    """
    if returncode is None:
        return problems.StudentCrashed(f"the worker stopped answering while {during}")
    if returncode in WINDOWS_CRASHES:
        return problems.StudentCrashed(
            f"the submission crashed with {WINDOWS_CRASHES[returncode]} while {during}"
        )
    if not -256 < returncode < 256:
        return problems.StudentCrashed(f"the submission ended with an unknown status while {during}")
    if returncode < 0:
        sig = -returncode
        if sig == signal.SIGSEGV:
            return problems.StudentCrashed(f"the submission crashed with a segmentation fault while {during}")
        if sig == getattr(signal, "SIGXCPU", None):  # the CPU and file size limits: POSIX
            return problems.StudentTimedOut(f"the CPU time limit was exceeded while {during}")
        if sig == getattr(signal, "SIGXFSZ", None):
            return problems.StudentCrashed(f"the file size limit was exceeded while {during}")
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return problems.StudentCrashed(f"the submission was killed by {name} while {during}")
    return problems.StudentCrashed(f"the submission exited with code {returncode} while {during}")


class WorkerProcess:
    """One running worker: a child process speaking frames over its stdin and stdout."""

    def __init__(self, spec: WorkerSpec) -> None:
        module = worker_module(isolate=spec.isolate)  # the zygote, or no fork (worker_mode.py)
        argv = [sys.executable, "-I", "-m", module, *spec.limits.as_arguments()]
        if spec.warm_optimizer:
            argv.append("--warm-optimizer")
        argv += spec.forbid
        if spec.isolate:
            argv.append("--isolate")
        self.process = subprocess.Popen(
            spec.launcher(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=spec.folder,
            env=_environment(spec, module),
            start_new_session=True,
        )
        stdin, stdout, stderr = self.process.stdin, self.process.stdout, self.process.stderr
        assert stdin is not None and stdout is not None and isinstance(stderr, io.BufferedReader)
        self._requests, self._stdout, self._stderr = stdin, stdout, stderr
        for stream in (stdin, stdout):
            pipes.widen(stream.fileno())
        # Read unbuffered, so that a wait on the pipe sees every byte not yet read.
        self._replies = pipes.open_pipes({"replies": stdout.fileno()})
        # The zygote's own messages (never a student's: each question's output comes back
        # through its relay, in its replies). Kept for diagnosing a worker that fails to start.
        self.output = CapturedOutput()
        self._stderr_pump = threading.Thread(target=self._pump, daemon=True)
        self._stderr_pump.start()

    def _pump(self) -> None:
        """Copy the zygote's stderr, so that it never blocks on a full pipe."""
        stream = self._stderr
        while chunk := stream.read1(65536):
            self.output.write(chunk)

    def request(
        self, message: dict[str, Any], seconds: float, during: str, meter: CpuMeter | None = None
    ) -> dict[str, Any]:
        """Send one request and wait for its reply: at most `seconds` of the CPU time `meter`
        reads (with a wall-clock backstop), or of wall clock without one."""
        self.send(message, during)
        return self.reply(seconds, during, meter)

    def send(self, message: dict[str, Any], during: str) -> None:
        """Send one request; its reply is read by :meth:`reply`."""
        try:
            protocol.write_frame(self._requests, message)
        except (BrokenPipeError, ConnectionResetError):
            raise self._died(during) from None

    def reply(self, seconds: float, during: str, meter: CpuMeter | None = None) -> dict[str, Any]:
        """Wait for the reply to the request last sent (see :meth:`request` for `seconds`)."""
        limit = TimeLimit(seconds, meter)
        try:
            header = self._read(protocol.FRAME_HEADER.size, limit, during)
            return protocol.read_frame_after_header(header, lambda size: self._read(size, limit, during))
        except (BrokenPipeError, ConnectionResetError, EOFError):
            raise self._died(during) from None
        except protocol.ProtocolError as exc:
            self.kill()
            raise problems.InvalidReply(
                f"the worker sent an unreadable reply while {during}: {exc}"
            ) from None

    def _read(self, size: int, limit: TimeLimit, during: str) -> bytearray:
        """Read exactly `size` bytes within `limit`."""

        def readinto(view: memoryview) -> int | None:
            while not self._replies.wait(("replies",), timeout=limit.next_wait())[0]:
                if (reached := limit.reached()) is not None:
                    self.kill()
                    raise problems.StudentTimedOut(f"{reached} while {during}")
            return self._replies.readinto("replies", view)

        buffer = protocol.fill_buffer(size, readinto)
        if len(buffer) < size:
            raise EOFError
        return buffer

    def _died(self, during: str) -> problems.StudentProblem:
        try:
            returncode = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            returncode = None
        self.kill()
        return _describe_exit(returncode, during)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, seconds: float = 3.0) -> None:
        """End the worker the polite way: no more requests, so it exits; kill it if it lingers."""
        try:
            self._requests.close()
            self.process.wait(timeout=seconds)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def kill(self) -> None:
        """Kill the worker and everything in its process group (POSIX; on Windows the worker,
        whose question processes then end at their pipes' end), then reap it."""
        try:
            if hasattr(os, "killpg"):
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.kill()
        except (ProcessLookupError, PermissionError):
            pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self._replies.close()
        for stream in (self._requests, self._stdout):
            with contextlib.suppress(OSError):
                stream.close()
        self._stderr_pump.join(timeout=2)


def _environment(spec: WorkerSpec, module: str) -> dict[str, str]:
    """The worker's whole environment: nothing of the grader's but what it needs to start."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "HOME": str(spec.home),
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        **WORKER_MALLOC,
    }
    if module == MODULES[PORTABLE]:
        env.update(pipes.environment())  # GRADER_PIPES: the fork mode always selects
    if sys.platform == "win32":
        env.update({name: os.environ[name] for name in WINDOWS_ENVIRONMENT if name in os.environ})
        env["TMPDIR"] = env.get("TEMP", str(spec.home))
    return env


class Zygote:
    """The worker a grader keeps across submissions, with torch imported, from which each
    submission's process is forked; restarted only when it is lost."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self._process: WorkerProcess | None = None
        self._closed = False
        # close() may come from another thread than the session's (Ctrl-C in `grader check
        # --watch`): once closed, no worker is started again, not even one half started.
        self._lock = threading.Lock()

    def process(self) -> WorkerProcess:
        with self._lock:
            if self._closed:
                raise problems.WorkerUnavailable("the grader is shutting down; grade it again")
            if self._process is None or not self._process.alive:
                self._let_go(linger=False)
                self._process = WorkerProcess(self.spec)
            return self._process

    def discard(self) -> None:
        with self._lock:
            self._let_go(linger=False)

    def close(self, *, linger: bool = True) -> None:
        """Stop for good: a submission still in flight fails fast instead of starting another.
        `linger`: let the worker exit as asked (a few seconds at most) rather than kill it."""
        with self._lock:
            self._closed = True
            self._let_go(linger=linger)

    def _let_go(self, *, linger: bool) -> None:
        """Stop the worker politely (`linger`) or kill it; either way it is no longer ours."""
        process, self._process = self._process, None
        if process is None:
            return
        if linger:
            process.stop()
        else:
            process.kill()


class SubmissionWorkers:
    """One submission's workers: its process forked from the zygote, a child per question.

    Remembers a failed import: a submission that cannot be imported fails every question at
    once instead of re-running its import for each.
    """

    def __init__(self, zygote: Zygote, spec: SubmissionSpec) -> None:
        self.zygote = zygote
        self.spec = spec
        self.output = CapturedOutput()
        self.student_seconds = 0.0  # as the worker reports it: for timings, never for grades
        self.late_tampering: dict[str, str] = {}  # question -> why, seen as it ended
        self._worker: WorkerProcess | None = None
        self._question: str | None = None
        self._import_failure: problems.StudentProblem | None = None
        self._oom_kills = 0  # the group's count of processes killed for memory, as last seen
        self._tree: ProcessTree | None = None
        self._group_counts: bool | None = None  # whether its group counts CPU time
        self._starting = False  # its process was asked for, the zygote's answer not yet read

    def _meter(self, worker: WorkerProcess) -> CpuMeter:
        """Where this submission's CPU time is read: its group's counter, else its worker's
        process tree (what /proc reports)."""
        group = self.spec.cgroup
        if group is not None and self._group_counts is None:
            self._group_counts = group.cpu_seconds() is not None
        if group is not None and self._group_counts:
            return GroupMeter(group)
        if self._tree is None or self._tree.root != worker.process.pid:
            self._tree = ProcessTree(worker.process.pid)
        return self._tree

    def _know_new_processes(self) -> None:
        """Look for the processes just started (a submission's, a question's), so that the
        next request's reading counts them from its start, not from theirs."""
        if self._tree is not None and self._worker is not None:
            self._meter(self._worker).cpu_seconds(search=True)

    def request(self, message: dict[str, Any], seconds: float, during: str, question: str) -> dict[str, Any]:
        """Send `message` to a child serving `question`, forking a fresh one if needed."""
        worker = self._child_for(question)
        try:
            reply = worker.request(message, seconds, during, self._meter(worker))
        except problems.StudentProblem as exc:
            self._lose_worker()
            raise self._group_memory(during) or exc from None
        self._collect(reply)
        if (over := self._group_memory(during)) is not None:
            raise over
        if reply.get("op") == Op.EXITED:
            self._question = None
            if reply.get("scope") == Scope.SUBMISSION:
                self._worker = None
            raise _exit_problem(reply, during)
        if reply.get("tampering"):
            raise _tampering(reply)
        inside = reply.get("student_seconds")
        if isinstance(inside, float) and 0.0 <= inside <= seconds * WALL_FACTOR:
            self.student_seconds += inside
        return reply

    def _collect(self, reply: dict[str, Any]) -> None:
        """Keep the output the relay passed on with a reply (the question's own prints)."""
        output = untrusted_text.from_worker(reply.get("output"), OUTPUT_PER_REPLY)
        if output:
            self.output.write(output.encode("utf-8", "replace"))

    def _child_for(self, question: str) -> WorkerProcess:
        if self._import_failure is not None:
            raise type(self._import_failure)(
                self._import_failure.message, traceback=self._import_failure.traceback
            )
        if self._starting:
            self._await_begin()
        if self._worker is None or not self._worker.alive:
            self._begin()
        if self._question != question:
            self._end_child()
            self._load_child(question)
        return self._running()

    def _running(self) -> WorkerProcess:
        """The submission's process, once begun."""
        assert self._worker is not None, "the submission's process has not begun"
        return self._worker

    def start(self) -> None:
        """Ask the zygote for this submission's process now and read its answer later: the
        process is forked, and its first question's process prepared, while the grader goes on
        (a cold grader imports torch meanwhile). A zygote that cannot take the request is left
        to the first test, which starts a new one and says what failed."""
        if self._worker is not None or self._import_failure is not None:
            return
        try:
            self._ask_for_process()
        except problems.StudentProblem:
            self._lose_worker()

    def _begin(self) -> None:
        """Fork this submission's process from the zygote."""
        self._ask_for_process()
        self._await_begin()

    def _ask_for_process(self) -> None:
        self._question = None
        self._worker = self.zygote.process()
        message = {
            "op": Op.SUBMISSION,
            "workdir": str(self.spec.workdir),
            "probes": str(self.spec.probes_path),
            "uid": self.spec.uid,
            "disk_mib": self.spec.disk_mib,
        }
        if self.spec.cgroup is not None:
            message["cgroup"] = self.spec.cgroup.join_request()
        self._starting = True
        self._worker.send(message, "starting the submission")

    def _await_begin(self) -> None:
        """Read the zygote's answer to the request for this submission's process."""
        self._starting = False
        try:
            reply = self._running().reply(120, "starting the submission")
        except problems.StudentProblem:
            self._lose_worker()
            raise
        if reply.get("ok") is not True:
            self._lose_worker()
            raise problems.WorkerUnavailable(
                "the grader could not start this submission's process; grade it again"
            )
        self._know_new_processes()

    def _end_child(self) -> None:
        if self._question is None or self._worker is None:
            return
        question, self._question = self._question, None
        try:
            reply = self._expect_exit({"op": Op.END}, Scope.QUESTION)
            if reply.get("tampering"):  # seen after the question's last reply: still counts
                self.late_tampering[question] = _tampering(reply).message
        except problems.StudentProblem:
            self._lose_worker()
            self._begin()

    def _expect_exit(self, message: dict[str, Any], scope: Scope) -> dict[str, Any]:
        reply = self._running().request(message, 30, f"ending a {scope}")
        self._collect(reply)
        if reply.get("op") != Op.EXITED or reply.get("scope") != scope:
            raise problems.InvalidReply(f"expected the {scope} to end")
        return reply

    def _load_child(self, question: str) -> None:
        message = {"op": Op.LOAD, "path": str(self.spec.module_path), "module": self.spec.module_name}
        during = "importing the submission"
        try:
            worker = self._running()
            reply = worker.request(message, self.spec.import_seconds, during, self._meter(worker))
            self._know_new_processes()
            self._collect(reply)
            if reply.get("op") == Op.EXITED:
                if reply.get("scope") == Scope.SUBMISSION:
                    self._worker = None
                self._fail_import(_exit_problem(reply, during))
            if reply.get("tampering"):
                self._expect_exit({"op": Op.END}, Scope.QUESTION)
                self._fail_import(_tampering(reply))
            if not reply.get("ok"):
                self._expect_exit({"op": Op.END}, Scope.QUESTION)  # collect the child's exit
                self._fail_import(_import_problem(reply.get("error")))
        except (problems.ImportFailed, problems.Tampering):
            raise
        except problems.StudentProblem as exc:
            self._lose_worker()
            self._fail_import(problems.ImportFailed(exc.message))
        self._question = question

    def _fail_import(self, problem: problems.StudentProblem) -> None:
        problem = self._group_memory("importing the submission") or problem
        if not isinstance(problem, (problems.ImportFailed, problems.MemoryLimitExceeded, problems.Tampering)):
            problem = problems.ImportFailed(problem.message, traceback=problem.traceback)
        self._import_failure = problem
        raise problem

    def _group_memory(self, during: str) -> problems.MemoryLimitExceeded | None:
        """The kernel killed a process of this submission for its group's memory limit
        since the last look: the question in flight loses (whatever its reply said)."""
        group = self.spec.cgroup
        if group is None:
            return None
        kills = group.oom_kills()
        if kills <= self._oom_kills:
            return None
        self._oom_kills = kills
        return problems.MemoryLimitExceeded(
            f"the submission's processes together exceeded its memory limit of "
            f"{group.memory_mib} MiB while {during}"
        )

    def _lose_worker(self) -> None:
        """The zygote hung or broke: kill it; the next request starts a new one."""
        self._question = None
        self._starting = False
        self._worker = None
        self.zygote.discard()

    def close(self) -> None:
        """End the submission: its process, and everything it started, goes."""
        if self._worker is None or not self._worker.alive:
            return
        try:
            if self._starting:  # asked for, never used: its answer comes first
                self._await_begin()
            self._end_child()
            self._expect_exit({"op": Op.END_SUBMISSION}, Scope.SUBMISSION)
        except problems.StudentProblem:
            self.zygote.discard()
        finally:
            self._worker = None


def _import_problem(error: Any) -> problems.StudentProblem:
    """The worker's description of a failed import, every string in it bounded first."""
    error = error if isinstance(error, dict) else {}
    kind = error.get("kind")
    kind_type = untrusted_text.from_worker(error.get("type"), untrusted_text.NAME) or "Error"
    message = untrusted_text.from_worker(error.get("message"), untrusted_text.MESSAGE)
    if kind == ErrorKind.EXIT:
        text = f"the submission exited with code {message} while importing"
    elif kind == ErrorKind.MEMORY:
        return problems.MemoryLimitExceeded("the memory limit was exceeded while importing the submission")
    else:
        text = f"importing the submission raised {kind_type}: {message}"
    traceback = untrusted_text.from_worker(error.get("traceback"), untrusted_text.TRACEBACK)
    return problems.ImportFailed(text, traceback=traceback)


def _exit_problem(reply: dict[str, Any], during: str) -> problems.StudentProblem:
    """How a question or submission ended, as the relay or the zygote saw it."""
    if reply.get("tampering"):
        return _tampering(reply)
    if reply.get("invalid"):
        return problems.InvalidReply(f"the submission broke the worker's protocol while {during}")
    return _describe_exit(_as_int(reply.get("exit_code")), during)


def _tampering(reply: dict[str, Any]) -> problems.Tampering:
    """Tampering, as the question's relay recorded it."""
    reasons = untrusted_text.strings_from_worker(reply.get("tampering"), limit=300, items=5)
    return problems.Tampering(
        "the submission tampered with the grader's code beside it ("
        + "; ".join(reasons)
        + "): this question scores zero"
    )


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
