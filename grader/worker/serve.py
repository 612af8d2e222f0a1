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

import argparse
import copy
import gc
import os
import pickle
import signal
import site
import sys
import traceback
import warnings
from types import ModuleType
from typing import Any, BinaryIO, NoReturn

from grader.wire import protocol
from grader.wire.limits import ResourceLimits
from grader.wire.module_files import import_file
from grader.worker import forbidden, namespaces
from grader.worker.memory import libc, small_pages_from_now_on
from grader.worker.question import SubmissionWitnesses, serve_question
from grader.worker.relay import QuestionRelay, _fork, protocol_error, relay_questions

DEFAULT_DISK_MIB = 64


def main(argv: list[str] | None = None) -> None:
    options = _parse_args(argv)
    requests, replies = _take_protocol_streams()
    options.limits.apply()
    import torch  # imported once, before any student code, under the limits

    torch.set_num_threads(1)
    # The homework asks for backward(create_graph=True) on purpose; torch's warning about it
    # would only fill the student's report.
    warnings.filterwarnings("ignore", message="Using backward\\(\\) with create_graph=True")
    _warm_up(torch, optimizer=options.warm_optimizer)
    sys.breakpointhook = _no_debugger
    forbidden.install(options.forbid)
    _settle()
    serve_zygote(requests, replies, isolate=options.isolate, keep=options.keep)
    # Nothing to flush or close: the interpreter's own teardown would cost about 0.3 s of
    # CPU per zygote (two per `grader grade --jobs 2`) for memory the kernel frees anyway.
    sys.stderr.flush()
    os._exit(0)


def _no_debugger(*args: Any, **kwargs: Any) -> None:
    """A breakpoint() left in a submission does nothing (no debugger reads the worker's
    stdin, and a debugger's tracing would be noted as tampering)."""


def _warm_up(torch: ModuleType, *, optimizer: bool) -> None:
    """Pay torch's lazy first-use costs once here, not in every forked child.

    Double backward, and backward with grad_outputs (about 0.5 s), initialise on first use;
    the first optimizer step imports torch._dynamo (about 2 s), so that is paid only for
    assignments that train.
    """
    weight = torch.zeros(2, requires_grad=True)
    (grad,) = torch.autograd.grad((weight**3).sum(), weight, create_graph=True)
    torch.autograd.grad(grad, weight, grad_outputs=torch.ones_like(grad), retain_graph=True)
    grad.sum().backward()
    torch.nn.functional.mse_loss(weight, weight.detach())
    copy.copy(weight.detach())  # copyreg caches torch.Tensor.__slotnames__ on first use
    import torch.utils._device  # noqa: F401 - every question's integrity.TorchModes binds it

    pickle.dumps(weight.detach())
    if optimizer:
        torch.optim.Adam([weight], lr=0.1).step()


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


def serve_zygote(
    requests: BinaryIO, replies: BinaryIO, *, isolate: bool = False, keep: list[str] | None = None
) -> None:
    """Fork one submission process per `submission`; report its exit once it is gone."""
    while (request := protocol.read_frame(requests)) is not None:
        if request.get("op") != "submission":
            protocol.write_frame(replies, protocol_error("no submission started"))
            continue
        pid = _fork()
        if pid == 0:
            _serve_submission(request, requests, replies, isolate, keep or [])
        _, status = os.waitpid(pid, 0)
        protocol.write_frame(
            replies, {"op": "exited", "scope": "submission", "exit_code": os.waitstatus_to_exitcode(status)}
        )


def _serve_submission(
    request: dict[str, Any], requests: BinaryIO, replies: BinaryIO, isolate: bool, keep: list[str]
) -> NoReturn:
    """Become one submission's process (isolated when sandboxed); never returns."""
    code = 0
    try:
        cgroup = request.get("cgroup") or {}
        for procs in cgroup.get("join", []):  # first: everything it starts is then inside
            with open(str(procs), "w") as stream:  # failing, it ends before any student code
                stream.write("0")  # "0": the writer itself, whatever PID namespace it is in
        small_pages_from_now_on()
        workdir = str(request["workdir"])
        if isolate:
            uid = int(request["uid"])
            namespaces.enter_private_namespaces()
            for mount in cgroup.get("hide", []):  # the grader's groups, out of its sight
                namespaces.umount(str(mount))
            init = _fork()
            if init != 0:  # this shim waits for the namespace's PID 1 and exits as it does
                _, status = os.waitpid(init, 0)
                code = os.waitstatus_to_exitcode(status)
                return
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # PID 1 ignores what it does not handle
            namespaces.private_tmp_and_proc(keep)
            namespaces.private_workdir(workdir, uid, int(request.get("disk_mib", DEFAULT_DISK_MIB)))
            _drop_privileges(uid)
        os.chdir(workdir)
        probes = import_file("grader_probes", str(request["probes"]))
        protocol.write_frame(replies, {"ok": True})
        serve_questions(
            requests,
            replies,
            probes,
            reap=isolate,
            trusted=[*trusted_folders(), os.path.dirname(str(request["probes"]))],
        )
    except BaseException:  # noqa: BLE001 - never fall back into the zygote's loop
        traceback.print_exc()  # to the zygote's stderr: a submission process that cannot start
        code = 70
    finally:
        os._exit(code if code >= 0 else 70)


def serve_questions(
    requests: BinaryIO, replies: BinaryIO, probes: ModuleType, *, reap: bool, trusted: list[str]
) -> None:
    """Relay one forked question process per `load`, until `end-submission`."""
    relay = QuestionRelay(replies, reap_all=reap)
    prepared = SubmissionWitnesses(probes, trusted)

    def start(load: dict[str, Any]) -> None:
        witnesses = prepared.before_fork()  # here, in a process that never runs student code
        relay.start(lambda pipes: serve_question(load, pipes, probes, trusted, witnesses))

    relay_questions(requests, replies, relay, start)


def trusted_folders() -> list[str]:
    """Where trusted code lives: the Python installation, its packages, the grader."""
    grader_package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return [sys.base_prefix, sys.prefix, *site.getsitepackages(), grader_package]


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m grader.worker")
    ResourceLimits.add_arguments(parser)
    parser.add_argument(
        "--isolate",
        action="store_true",
        help="inside the sandbox: give each submission its own namespaces, "
        "folder and the uid its request names",
    )
    parser.add_argument(
        "--keep",
        action="append",
        default=[],
        metavar="FOLDER",
        help="a read-only folder under /tmp to keep in each submission's /tmp",
    )
    parser.add_argument(
        "--forbid",
        action="append",
        default=[],
        metavar="MODULE:NAME,...",
        help="record calls to these functions of MODULE (the assignment's forbidden helpers)",
    )
    parser.add_argument(
        "--warm-optimizer",
        action="store_true",
        help="take one optimizer step at start-up (assignments that train)",
    )
    options = parser.parse_args(argv)
    options.limits = ResourceLimits.from_arguments(options)
    options.forbid = {
        module: tuple(names.split(","))
        for module, _, names in (entry.partition(":") for entry in options.forbid)
    }
    return options


def _drop_privileges(uid: int) -> None:
    """Become an unprivileged user: process limits then apply, and no file outside is writable."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def _take_protocol_streams() -> tuple[BinaryIO, BinaryIO]:
    """Keep stdin/stdout for the protocol and point fd 0/1 away, so prints cannot corrupt it."""
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stdin = open(os.devnull)
    return requests, replies


if __name__ == "__main__":
    main()
