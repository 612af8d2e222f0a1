"""The student worker: the only process that runs student code.

Started with ``python -m grader.worker`` (never forked from the grading process), it speaks
the frame protocol on its original stdin/stdout; the student's own prints go to stderr, which
the trusted side captures with a size cap. It never sees the reference solution.

The process is a zygote: it imports torch once, never runs student code itself, and lives
across submissions. Each ``submission`` request forks a submission process (inside the
sandbox: new mount and PID namespaces, a private /tmp, an unprivileged uid) that lives until
``end-submission``. In it, each ``load`` forks a question child that imports the submission
and serves that question's calls until ``end``. A question that patches torch, crashes or
exits cannot touch the next question; a submission cannot touch the next submission; and
neither costs a fresh ``import torch``, only forks.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
import warnings
from types import ModuleType
from typing import Any, BinaryIO, Callable

from grader.wire import protocol
from grader.worker import namespaces
from grader.worker.forbidden import ForbiddenHelperMonitor
from grader.wire.limits import ResourceLimits
from grader.wire.module_files import import_file
from grader.worker.memory import small_pages_from_now_on

MEMORY_ERROR_HINTS = ("can't allocate memory", "DefaultCPUAllocator", "out of memory")


class WorkerState:
    """What the worker holds between requests: the student module and the probes."""

    def __init__(self) -> None:
        self.module: ModuleType | None = None
        self.module_path: str = ""
        self.probes: ModuleType | None = None
        self.monitor = ForbiddenHelperMonitor()

    def ensure_probes(self, path: str) -> None:
        if self.probes is None:
            self.probes = import_file("grader_probes", path)

    def build_function(self, name: str, args: list[Any]) -> Callable[..., Any]:
        assert self.probes is not None, "probes are loaded with the module"
        return self.probes.FUNCTIONS[name](*args)


def main(argv: list[str] | None = None) -> None:
    options = _parse_args(argv)
    requests, replies = _take_protocol_streams()
    options.limits.apply()
    import torch  # imported once, before any student code, under the limits

    torch.set_num_threads(1)
    # The homework asks for backward(create_graph=True) on purpose; torch's warning about it
    # would only fill the student's report.
    warnings.filterwarnings("ignore", message="Using backward\\(\\) with create_graph=True")
    import grader.worker.input_guard  # noqa: F401 - preloaded for every child

    _warm_up(torch, optimizer=options.warm_optimizer)

    state = WorkerState()
    state.monitor.install()
    serve_zygote(state, requests, replies, uid=options.uid, keep=options.keep)


def _warm_up(torch: ModuleType, *, optimizer: bool) -> None:
    """Pay torch's lazy first-use costs once here, not in every forked child.

    Double backward, and backward with grad_outputs (about 0.5 s), initialise on first use;
    the first optimizer step imports
    torch._dynamo (about 2 s), so that is paid only for assignments that train.
    """
    weight = torch.zeros(2, requires_grad=True)
    (grad,) = torch.autograd.grad((weight**3).sum(), weight, create_graph=True)
    torch.autograd.grad(grad, weight, grad_outputs=torch.ones_like(grad), retain_graph=True)
    grad.sum().backward()
    torch.nn.functional.mse_loss(weight, weight.detach())
    if optimizer:
        torch.optim.Adam([weight], lr=0.1).step()


def serve_zygote(state: WorkerState, requests: BinaryIO, replies: BinaryIO, *,
                 uid: int | None = None, keep: list[str] | None = None) -> None:
    """Fork one submission process per `submission`; report its exit once it is gone."""
    while (request := protocol.read_frame(requests)) is not None:
        if request.get("op") != "submission":
            protocol.write_frame(replies, _protocol_error("no submission started"))
            continue
        pid = _fork()
        if pid == 0:
            _serve_submission(state, request, requests, replies, uid, keep or [])
        _, status = os.waitpid(pid, 0)
        protocol.write_frame(replies, {"op": "exited", "scope": "submission",
                                       "exit_code": os.waitstatus_to_exitcode(status)})


def _protocol_error(message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"kind": "protocol", "type": "ProtocolError",
                                   "message": message}}


def _serve_submission(state: WorkerState, request: dict[str, Any], requests: BinaryIO,
                      replies: BinaryIO, uid: int | None, keep: list[str]) -> None:
    """Become one submission's process (isolated when sandboxed); never returns."""
    code = 0
    try:
        small_pages_from_now_on()
        if uid is not None:
            namespaces.enter_private_namespaces()
            init = _fork()
            if init != 0:  # this shim waits for the namespace's PID 1 and exits as it does
                _, status = os.waitpid(init, 0)
                code = os.waitstatus_to_exitcode(status)
                return
            namespaces.private_tmp_and_proc(keep)
            _drop_privileges(uid)
        os.chdir(str(request["workdir"]))
        protocol.write_frame(replies, {"ok": True})
        serve_questions(state, requests, replies, reap=uid is not None)
    except BaseException:  # noqa: BLE001 - never fall back into the zygote's loop
        code = 70
    finally:
        os._exit(code if code >= 0 else 70)


def serve_questions(state: WorkerState, requests: BinaryIO, replies: BinaryIO, *,
                    reap: bool) -> None:
    """Fork one child per `load`, report each child's exit, until `end-submission`."""
    while (request := protocol.read_frame(requests)) is not None:
        op = request.get("op")
        if op == "end-submission":
            return
        if op != "load":
            protocol.write_frame(replies, _protocol_error("no module loaded"))
            continue
        state.ensure_probes(str(request["probes"]))
        pid = _fork()
        if pid == 0:
            _serve_child(state, request, requests, replies)
        _, status = os.waitpid(pid, 0)
        if reap:
            _kill_leftovers()
        protocol.write_frame(replies, {"op": "exited", "scope": "question",
                                       "exit_code": os.waitstatus_to_exitcode(status)})


def _fork() -> int:
    """Fork, waiting briefly for killed leftovers to free their process slots."""
    for _ in range(100):
        try:
            return os.fork()
        except BlockingIOError:
            time.sleep(0.05)
    return os.fork()


def _kill_leftovers() -> None:
    """Kill whatever the question left running (daemons, fork bombs).

    Only inside the sandbox: there the submission process runs as a uid of its own, as PID 1
    of a namespace of its own, so kill(-1) reaches exactly the processes it started.
    """
    try:
        os.kill(-1, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break


def _serve_child(state: WorkerState, load: dict[str, Any], requests: BinaryIO,
                 replies: BinaryIO) -> None:
    """Import the submission and serve requests until `end`; never returns."""
    code = 0
    try:
        reply = handle(state, load)
        protocol.write_frame(replies, reply)
        if reply.get("ok"):
            while (request := protocol.read_frame(requests)) is not None:
                if request.get("op") == "end":
                    break
                protocol.write_frame(replies, handle(state, request))
    except BaseException:  # noqa: BLE001 - a child must never fall back into the zygote loop
        code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m grader.worker")
    ResourceLimits.add_arguments(parser)
    parser.add_argument("--uid", type=int,
                        help="inside the sandbox: isolate each submission and run it as this uid")
    parser.add_argument("--keep", action="append", default=[], metavar="FOLDER",
                        help="a read-only folder under /tmp to keep in each submission's /tmp")
    parser.add_argument("--warm-optimizer", action="store_true",
                        help="take one optimizer step at start-up (assignments that train)")
    options = parser.parse_args(argv)
    options.limits = ResourceLimits.from_arguments(options)
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


def handle(state: WorkerState, request: dict[str, Any]) -> dict[str, Any]:
    """Serve one request; student failures become error replies, never worker crashes."""
    started = time.perf_counter()
    try:
        reply = _dispatch(state, request)
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything
        reply = {"ok": False, "error": describe_exception(exc, state.module_path, state.module)}
    reply["seconds"] = time.perf_counter() - started
    return reply


def _dispatch(state: WorkerState, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == "load":
        _load(state, request["path"], request["module"])
        return {"ok": True, "value": None}
    if state.module is None:
        return {"ok": False, "error": {"kind": "protocol", "type": "ProtocolError",
                                       "message": "no module loaded", "traceback": ""}}
    blobs = request.get(protocol.BLOBS, [])
    args = protocol.decode_request_value(request.get("args", []), state.build_function, blobs)
    kwargs = protocol.decode_request_value(request.get("kwargs", {"$dict": {}}),
                                           state.build_function, blobs)
    if op == "call":
        target = _student_function(state.module, request["function"])
        return _run(state, lambda: target(*args, **kwargs), args, kwargs)
    if op == "probe":
        probe = state.probes.PROBES[request["probe"]]
        return _run(state, lambda: probe(state.module, *args, **kwargs), args, kwargs)
    raise protocol.ProtocolError(f"unknown op {op!r}")


def _student_function(module: ModuleType, name: str) -> Callable[..., Any]:
    target = getattr(module, name)  # a missing function is reported as not attempted
    if not callable(target):
        raise TypeError(f"{name!r} in the submission is not a function")
    return target


def _run(state: WorkerState, call: Callable[[], Any], args: list[Any],
         kwargs: dict[str, Any]) -> dict[str, Any]:
    from grader.worker.input_guard import InputSnapshot

    snapshot = InputSnapshot.take(args, kwargs)
    with state.monitor.watch() as forbidden:
        started = time.perf_counter()
        value = call()
        inside = time.perf_counter() - started
    blobs: list[protocol.Blob] = []
    encoded = protocol.encode_value(value, blobs=blobs)
    return {"ok": True, "value": encoded, "modified": snapshot.changes(args, kwargs),
            "forbidden": sorted(forbidden), "student_seconds": inside, protocol.BLOBS: blobs}


def _load(state: WorkerState, path: str, module_name: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    state.module_path = os.path.abspath(path)
    state.module = import_file(module_name, path)


def describe_exception(exc: BaseException, student_path: str,
                       module: ModuleType | None = None) -> dict[str, Any]:
    """Describe an exception as data, keeping only the student's own frames."""
    kind = "raised"
    if isinstance(exc, NotImplementedError):
        kind = "not_implemented"
    elif isinstance(exc, AttributeError) and module is not None and exc.obj is module:
        kind = "missing"
    elif isinstance(exc, MemoryError) or any(h in str(exc) for h in MEMORY_ERROR_HINTS):
        kind = "memory"
    elif isinstance(exc, SystemExit):
        kind = "exit"
    elif isinstance(exc, protocol.ProtocolError):
        kind = "unsendable"
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if student_path and os.path.abspath(frame.filename) == student_path]
    lines = traceback.format_list(frames)
    return {"kind": kind, "type": type(exc).__name__,
            "function": getattr(exc, "name", "") if kind == "missing" else
            (frames[-1].name if frames else ""),
            "message": _safe_str(exc) if not isinstance(exc, SystemExit) else str(exc.code),
            "traceback": "".join(lines)}


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)[:4000]
    except Exception:  # noqa: BLE001 - a hostile __str__
        return "<unprintable exception>"


if __name__ == "__main__":
    main()
