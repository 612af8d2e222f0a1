"""The student worker: the zygote, and each submission's process.

Started with ``python -m grader.worker`` (never forked from the grading process), it speaks
the frame protocol on its original stdin/stdout. It never sees the reference solution.

Three kinds of process, as in a contest judge's keeper, proxy and inside process:

- the **zygote** imports torch once, installs the forbidden-helper recorders, never runs
  student code, and lives across submissions. For each ``submission`` request it forks a
  submission process and, once that is gone, reports its exit.
- the **submission process** (in the sandbox: PID 1 of new mount, PID, network and IPC
  namespaces, with a private /tmp, /dev/shm and a size-limited working folder, running as
  the submission's own uid) never runs student code either. For each ``load`` it forks a
  question process and relays that question's frames (:mod:`grader.worker.relay`).
- the **question process** (:mod:`grader.worker.question`) imports the submission and
  serves one question's calls. It holds its own four pipes and nothing else.

A question that patches torch, crashes or exits cannot touch the next question; a submission
cannot touch the next submission; neither costs a fresh ``import torch``, only forks.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NoReturn

from grader.wire import protocol
from grader.wire.module_files import import_file
from grader.wire.protocol import FrameSink, FrameSource
from grader.wire.vocabulary import Op, Scope, WorkerExit
from grader.worker import namespaces, syscall_filter
from grader.worker.entry import (
    WorkerOptions,
    argument_parser,
    ready_for_student_code,
    take_protocol_streams,
    trusted_folders,
)
from grader.worker.memory import keep_memory_private, libc, small_pages_from_now_on
from grader.worker.question import SubmissionWitnesses, serve_question
from grader.worker.relay import (
    QuestionPipes,
    QuestionRelay,
    fork_waiting_for_slots,
    protocol_error,
    relay_questions,
)

DEFAULT_DISK_MIB = 64


def main(argv: list[str] | None = None) -> None:
    options = WorkerOptions.from_arguments(argument_parser("python -m grader.worker").parse_args(argv))
    requests, replies = take_protocol_streams()
    keep_memory_private()  # before anything of a student's is forked from here
    options.limits.apply()
    ready_for_student_code(options)
    _settle()
    isolation = Isolation(options.isolate, list(options.keep), options.syscall_filter)
    serve_zygote(requests, replies, isolation)
    # Nothing to flush or close: the interpreter's own teardown would cost about 0.3 s of
    # CPU per zygote (two per `grader grade --jobs 2`) for memory the kernel frees anyway.
    sys.stderr.flush()
    os._exit(0)


def _settle() -> None:
    """Make what every fork starts from as cheap to copy as it can be.

    Everything the zygote has made so far lives as long as it does: frozen, the garbage
    collector of a submission's or a question's process never walks it (a walk writes to
    every object it visits, and each written page is a copy-on-write fault in that process).
    The C library's handle for `prctl` is looked up here once, instead of by running
    `ldconfig -p` in every submission's process.
    """
    libc()
    gc.freeze()  # no collection first: it would cost 0.1 s here for a little garbage kept


@dataclass(frozen=True)
class Isolation:
    """How each submission's process is confined inside the sandbox (nothing outside it)."""

    isolate: bool = False
    keep: list[str] = field(default_factory=list)
    """Read-only folders under /tmp to keep in each submission's /tmp."""
    program: bytes = b""
    """The seccomp filter loaded once the submission has dropped to its uid."""


def serve_zygote(requests: FrameSource, replies: FrameSink, isolation: Isolation | None = None) -> None:
    """Fork one submission process per `submission`; report its exit once it is gone."""
    while (request := protocol.read_frame(requests)) is not None:
        if request.get("op") != Op.SUBMISSION:
            protocol.write_frame(replies, protocol_error("no submission started"))
            continue
        pid = fork_waiting_for_slots()
        if pid == 0:
            _serve_submission(request, requests, replies, isolation or Isolation())
        _, status = os.waitpid(pid, 0)
        protocol.write_frame(
            replies,
            {"op": Op.EXITED, "scope": Scope.SUBMISSION, "exit_code": os.waitstatus_to_exitcode(status)},
        )


def _serve_submission(
    request: dict[str, Any], requests: FrameSource, replies: FrameSink, isolation: Isolation
) -> NoReturn:
    """Become one submission's process (isolated when sandboxed); never returns."""
    code: int = WorkerExit.FAILED
    try:
        code = _run_submission(request, requests, replies, isolation)
    except BaseException:  # noqa: BLE001 - never fall back into the zygote's loop
        traceback.print_exc()  # to the zygote's stderr: a submission process that cannot start
    finally:
        os._exit(code if code >= 0 else WorkerExit.FAILED)


def _run_submission(
    request: dict[str, Any], requests: FrameSource, replies: FrameSink, isolation: Isolation
) -> int:
    """One submission's process: its exit code once its questions are served (or, isolated,
    the exit code of the namespace's PID 1, which this process waits for)."""
    cgroup = request.get("cgroup") or {}
    for procs in cgroup.get("join", []):  # first: everything it starts is then inside
        with open(str(procs), "w") as stream:  # failing, it ends before any student code
            stream.write("0")  # "0": the writer itself, whatever PID namespace it is in
    small_pages_from_now_on()
    workdir = str(request["workdir"])
    if isolation.isolate:
        uid = int(request["uid"])
        namespaces.enter_private_namespaces()
        for mount in cgroup.get("hide", []):  # the grader's groups, out of its sight
            namespaces.umount(str(mount))
        init = fork_waiting_for_slots()
        if init != 0:  # this shim waits for the namespace's PID 1 and exits as it does
            _, status = os.waitpid(init, 0)
            return os.waitstatus_to_exitcode(status)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # PID 1 ignores what it does not handle
        namespaces.private_tmp_and_proc(isolation.keep)
        namespaces.private_workdir(workdir, uid, int(request.get("disk_mib", DEFAULT_DISK_MIB)))
        _drop_privileges(uid)
        if isolation.program:  # last: it refuses the mounts and namespaces made above
            syscall_filter.install(isolation.program)
    os.chdir(workdir)
    probes = import_file("grader_probes", str(request["probes"]))
    protocol.write_frame(replies, {"ok": True})
    serve_questions(
        requests,
        replies,
        probes,
        reap=isolation.isolate,
        trusted=[*trusted_folders(), os.path.dirname(str(request["probes"]))],
    )
    return 0


def serve_questions(
    requests: FrameSource, replies: FrameSink, probes: ModuleType, *, reap: bool, trusted: list[str]
) -> None:
    """Relay one forked question process per `load`, until `end-submission`."""
    relay = QuestionRelay(replies, reap_all=reap)
    prepared = SubmissionWitnesses(probes, trusted)

    def serving(load: dict[str, Any] | None) -> Callable[[QuestionPipes], NoReturn]:
        witnesses = prepared.before_fork()  # here, in a process that never runs student code
        return lambda pipes: serve_question(load, pipes, probes, trusted, witnesses)

    def start(load: dict[str, Any]) -> None:
        if not relay.start_prepared(load):
            relay.start(serving(load))

    def prepare() -> None:
        relay.prepare_next(lambda: serving(None))

    prepare()  # the first question's process arms while the grader sets up its first test
    try:
        relay_questions(requests, replies, relay, start, prepare)
    finally:
        relay.discard_prepared()


def _drop_privileges(uid: int) -> None:
    """Become an unprivileged user: process limits then apply, and no file outside is writable."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


if __name__ == "__main__":
    main()
