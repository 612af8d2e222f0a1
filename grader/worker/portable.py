"""The portable worker: the same protocol as :mod:`grader.worker.serve`, without fork.

``python -m grader.worker.portable`` is the grader's warm worker where fork is unavailable
or unsafe (Windows; macOS, where a process that has imported torch must not fork), and on
Linux when ``GRADER_WORKER=portable`` asks for it (``grader/worker_mode.py`` chooses). It
never runs student code and never imports torch itself: for each question it hands the
question to a **fresh Python process** (``python -m grader.worker.portable --question``),
started with the question's four pipes and nothing else, which applies the resource limits
the platform has, imports torch, installs the forbidden-helper recorders and then serves
exactly as a forked question process does (:func:`grader.worker.question.serve_question`).
The relay is the fork mode's own (:class:`grader.worker.relay.QuestionRelay`): only the way
its question process is started differs.

Warm where it can be: while one question runs, the next question's process is already
started and importing torch, so a question waits for torch only when it follows another
one too closely. Time limits are the grader's, on every reply, on every platform. What this
mode does not have: the sandbox (that needs Linux namespaces; grading with it uses the fork
mode) and the zygote's shared, already warm memory.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import threading
import traceback
from typing import Any, NoReturn

from grader.wire import pipes, protocol
from grader.wire.module_files import import_file
from grader.wire.protocol import FrameSink, FrameSource
from grader.wire.vocabulary import Op, Scope, WorkerExit
from grader.worker.entry import (
    WorkerOptions,
    argument_parser,
    ready_for_student_code,
    take_protocol_streams,
    trusted_folders,
)
from grader.worker.relay import QuestionPipes, QuestionRelay, protocol_error, relay_questions

QUESTION_FLAG = "--question"


class SpawnedQuestion(QuestionRelay):
    """A question relay whose question process is a fresh interpreter, never a fork."""

    def __init__(self, replies: FrameSink, argv: list[str]) -> None:
        super().__init__(replies, reap_all=False, portable_pipes=pipes.portable_by_default())
        self._argv = argv
        self._spare: tuple[subprocess.Popen[bytes], dict[str, int]] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.setup: dict[str, Any] = {}

    def prepare(self) -> None:
        """Start the next question's process now, so it imports torch while others work."""
        if self._spare is None:
            self._spare = _spawn(self._argv)

    def start_question(self, load: dict[str, Any]) -> None:
        process, fds = self._spare or _spawn(self._argv)
        self._spare = None
        self._nonce = os.urandom(16).hex().encode()
        self._process = process
        self._adopt(process.pid, fds)
        self.forward({"op": Op.SETUP, "nonce": self._nonce.decode(), **self.setup, "load": load})
        self.prepare()

    def _stop_question(self) -> int:
        """Kill the question process through its Popen (no waitpid or signals: Windows)."""
        process, self._process = self._process, None
        assert process is not None, "no question process"
        if process.poll() is None:
            process.kill()
        return process.wait()

    def close_spare(self) -> None:
        if self._spare is not None:
            process, fds = self._spare
            self._spare = None
            process.kill()
            process.wait()
            for fd in fds.values():
                os.close(fd)


def _spawn(argv: list[str]) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    """Start a question process holding its ends of four new pipes (and nothing else of
    this process's: grader.wire.pipes hands them over the platform's way)."""
    requests, replies, output, records = os.pipe(), os.pipe(), os.pipe(), os.pipe()
    theirs = (requests[0], replies[1], output[1], records[1])
    names, handing = pipes.pass_to_child(theirs)
    # Its standard output is this process's stderr, named outright: Windows hands a child the
    # process's standard handles, and the protocol's channel must never be one of them.
    process = subprocess.Popen([*argv, QUESTION_FLAG, names], stdin=subprocess.DEVNULL, stdout=2, **handing)
    for fd in theirs:
        os.close(fd)
    return process, {
        "requests": requests[1],
        "replies": replies[0],
        "output": output[0],
        "records": records[0],
    }


def serve_portable(requests: FrameSource, replies: FrameSink, argv: list[str]) -> None:
    """The zygote's loop, one submission at a time, its questions in spawned processes."""
    relay = SpawnedQuestion(replies, argv)
    relay.prepare()
    try:
        while (request := protocol.read_frame(requests)) is not None:
            if request.get("op") != Op.SUBMISSION:
                protocol.write_frame(replies, protocol_error("no submission started"))
                continue
            relay.setup = {"probes": str(request["probes"]), "workdir": str(request["workdir"])}
            protocol.write_frame(replies, {"ok": True})
            relay_questions(
                requests,
                replies,
                relay,
                lambda load: relay.start_question({k: v for k, v in load.items() if k != protocol.BLOBS}),
            )
            protocol.write_frame(replies, {"op": Op.EXITED, "scope": Scope.SUBMISSION, "exit_code": 0})
    finally:
        relay.end(report=False)
        relay.close_spare()


def serve_spawned_question(fds: str, options: WorkerOptions) -> NoReturn:
    """A fresh question process: limits, torch, recorders; then its setup, then serve."""
    try:
        requests, replies, output, records = pipes.take_from_parent(fds, 4)
        if sys.platform == "win32":
            _end_with_parent()
        options.limits.apply(where_available=True)
        # torch, under the limits; the input guard binds torch's functions before any recorder
        # takes the place of one, as in the fork mode. The zygote never imports this module.
        from grader.worker.question import serve_question

        ready_for_student_code(options)
        with os.fdopen(os.dup(requests), "rb", buffering=0) as stream:
            setup = protocol.read_frame(stream)
        if not setup or setup.get("op") != Op.SETUP:
            os._exit(0)  # a spare never used: the worker is ending
        os.chdir(str(setup["workdir"]))
        probes = import_file("grader_probes", str(setup["probes"]))
        ends = QuestionPipes(requests, replies, output, records, str(setup["nonce"]).encode())
        serve_question(
            dict(setup["load"]), ends, probes, [*trusted_folders(), os.path.dirname(str(setup["probes"]))]
        )
    except BaseException:  # noqa: BLE001 - a question process that cannot start
        traceback.print_exc()
    finally:
        os._exit(WorkerExit.FAILED)


def _end_with_parent() -> None:
    """Windows kills a process alone, not its group: a question process ends with the worker
    that started it (the grader kills that at a deadline), or it would run on unseen. POSIX
    needs none of this: the grader kills the worker's whole process group."""
    _winapi: Any = importlib.import_module("_winapi")  # Windows' own: typed loosely
    synchronize = 0x00100000
    parent = _winapi.OpenProcess(synchronize, False, os.getppid())

    def watch() -> None:
        _winapi.WaitForSingleObject(parent, _winapi.INFINITE)
        os._exit(WorkerExit.ORPHANED)

    threading.Thread(target=watch, name="grader-parent-watch", daemon=True).start()


# --- the entry point -------------------------------------------------------------------------


def _parse_args(argv: list[str]) -> tuple[WorkerOptions, str | None]:
    """The worker's options, and the pipes named by --question in a question process."""
    parser = argument_parser("python -m grader.worker.portable")
    parser.add_argument(QUESTION_FLAG, metavar="FDS", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    return WorkerOptions.from_arguments(arguments), arguments.question


def _question_argv(argv: list[str]) -> list[str]:
    """How the zygote starts a question process: this module, with its own options."""
    return [sys.executable, "-I", "-m", "grader.worker.portable", *(a for a in argv if a != QUESTION_FLAG)]


def _refuse_fork() -> None:
    """The portable zygote never forks: if it ever does, it ends (a test relies on it)."""
    os.write(2, b"grader.worker.portable: the portable worker must not fork\n")
    os._exit(WorkerExit.FORKED)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    options, question = _parse_args(argv)
    if question:
        serve_spawned_question(question, options)
    if options.isolate:
        sys.exit("grader.worker.portable: the sandbox needs the fork mode (grader.worker)")
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_refuse_fork)
    requests, replies = take_protocol_streams()
    serve_portable(requests, replies, _question_argv(argv))


if __name__ == "__main__":
    main()
