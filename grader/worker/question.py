"""A question process: imports the submission and serves one question's calls.

It holds nothing but its own four pipes (requests, replies, output, records). Before the
student's module is imported it binds what it will call (the probes, the input guard), takes
the grader's modules out of `sys.modules`, snapshots the namespaces trusted code depends on
and installs the audit hook (:mod:`grader.worker.audit_hook`). After every call it checks
those namespaces (:mod:`grader.worker.dict_watch`) and the torch modes
(:mod:`grader.worker.torch_modes`) and writes a heartbeat; findings go to the record pipe
(:mod:`grader.worker.records`).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NoReturn

from grader.wire import protocol
from grader.wire.module_files import import_file
from grader.wire.vocabulary import ErrorKind, Op, RecordKind, WorkerExit
from grader.worker import forbidden, global_draws
from grader.worker.audit_hook import install_audit_hook
from grader.worker.dict_watch import DictWatch, WatchLevel
from grader.worker.grader_roots import cut_grader_roots
from grader.worker.input_guard import InputSnapshot
from grader.worker.module_runs import ModuleRuns
from grader.worker.records import RECORD_FD, record, record_writer
from grader.worker.relay import QuestionPipes
from grader.worker.student_frames import StudentFrames
from grader.worker.torch_modes import TorchModes

REQUEST_FD, REPLY_FD = 4, 5
MEMORY_ERROR_HINTS = ("can't allocate memory", "DefaultCPUAllocator", "out of memory")
TRUSTED_NAMESPACES = (
    "json",
    "json.encoder",
    "json.decoder",
    "struct",
    "zlib",
    "builtins",
    "torch",
    "torch.autograd",
    "torch.autograd.functional",
    "torch.nn.functional",
    "torch.func",
    "torch._functorch.eager_transforms",
    "torch._functorch.apis",
)
"""Namespaces outside the grader that trusted code here looks names up in."""
WATCH_LEVELS = {
    **dict.fromkeys(TRUSTED_NAMESPACES, WatchLevel.LENIENT),
    **dict.fromkeys(
        ("torch.autograd", "torch.autograd.functional", "torch.nn.functional", "torch.func"),
        WatchLevel.GUARDED,
    ),
    "torch.Tensor": WatchLevel.LENIENT,
    "torch.TensorBase": WatchLevel.LENIENT,
}


@dataclass
class TrustedCalls:
    """What the question calls, bound before the student's import: replacing a probe in the
    probes module, or a method of the input guard, changes nothing here."""

    probes: dict[str, Callable[..., Any]]
    functions: dict[str, Callable[..., Any]]
    snapshot: Callable[[list[Any], dict[str, Any]], InputSnapshot]
    changes: Callable[[InputSnapshot, list[Any], dict[str, Any]], list[str]]
    encode: Callable[..., Any]
    decode: Callable[..., Any]
    write_frame: Callable[..., None]
    read_frame: Callable[..., Any]
    modes: TorchModes
    write_record: Callable[[bytes], None]
    seed_globals: Callable[[int], None]

    @classmethod
    def bind(cls, probes: ModuleType, write_record: Callable[[bytes], None]) -> TrustedCalls:
        return cls(
            dict(probes.PROBES),
            dict(probes.FUNCTIONS),
            InputSnapshot.take,
            InputSnapshot.changes,
            protocol.encode_value,
            protocol.decode_request_value,
            protocol.write_frame,
            protocol.read_frame,
            TorchModes(),
            write_record,
            global_draws.seeder(),
        )

    def returned_from_student(self) -> None:
        """Control is back in trusted code: note a torch mode the student left active."""
        left = self.modes.left_active()
        if left:
            self.write_record(record(RecordKind.TAMPERING, left))

    def build_function(self, name: str, args: list[Any]) -> Callable[..., Any]:
        function: Callable[..., Any] = self.functions[name](*args)
        return function


@dataclass
class Question:
    """The question process's state: the student's module, once imported, and the objects
    a test made of its classes (kept here by handle until the next test's first call)."""

    calls: TrustedCalls
    module: ModuleType | None = None
    module_path: str = ""
    objects: dict[int, Any] = field(default_factory=dict)
    handles: int = 0

    def keep(self, value: Any) -> Any:
        """`value` as the reply carries it: an object of a class of the submission's own stays
        here and goes back as a handle; anything else as it is (encoded, or refused)."""
        if self.module is None or not _made_by_submission(value, self.module_path):
            return value
        self.handles += 1
        self.objects[self.handles] = value
        return protocol.ObjectRef(self.handles, type(value).__name__[: protocol.MAX_TYPE_NAME])

    def object(self, handle: int) -> Any:
        if handle not in self.objects:
            raise protocol.ProtocolError(f"no object {handle} in this test")
        return self.objects[handle]


@dataclass
class Witnesses:
    """What a question's checks start from, taken before any student code ran: who counts as
    the student, the snapshot of every namespace trusted code depends on, the modules whose
    code has run, and the grader's modules to take out of `sys.modules` (the last two valid
    while it holds `modules` entries)."""

    frames: StudentFrames
    watch: DictWatch
    executed: ModuleRuns
    grader_modules: list[str]
    modules: int


class SubmissionWitnesses:
    """A submission's process prepares each question's witnesses just before it forks it.

    The fork starts from exactly this memory, in a process that never runs student code.
    Done in the question instead, walking every module and copying every namespace wrote to
    thousands of pages shared with the zygote, each a copy-on-write fault in every question
    (about 3,300 of a question's 5,100). Here they are taken once per
    submission, and taken again only if something here changed what they saw (the relay
    imported a module, or wrote to a watched namespace).
    """

    def __init__(self, probes: ModuleType, trusted_folders: list[str]) -> None:
        cut_grader_roots()  # for every question of this submission at once
        self.frames = StudentFrames(trusted_folders)
        self._owners = _trusted_namespaces(probes)
        self._watch = DictWatch(self._owners, self.frames, WATCH_LEVELS)
        self._look_at_modules()

    def _look_at_modules(self) -> None:
        self._executed = ModuleRuns(self.frames)
        self._grader_modules = _grader_module_names()
        self._modules = len(sys.modules)

    def before_fork(self) -> Witnesses:
        if self._watch.changes():  # nothing is expected to change here: snapshot afresh
            self._watch = DictWatch(self._owners, self.frames, WATCH_LEVELS)
        if len(sys.modules) != self._modules:
            self._look_at_modules()
        return Witnesses(self.frames, self._watch, self._executed, self._grader_modules, self._modules)


def serve_question(
    load: dict[str, Any] | None,
    pipes: QuestionPipes,
    probes: ModuleType,
    trusted_folders: list[str],
    witnesses: Witnesses | None = None,
) -> NoReturn:
    """Become the question process: hold only its pipes, arm the witnesses, serve; never
    returns. `witnesses` were taken before the fork (a fresh interpreter takes its own).
    `load` None: a prepared process, armed before the grader asks; its `load` comes first
    on its request pipe."""
    code = 0
    try:
        _hold_only(pipes)
        write_record = record_writer()
        forbidden.WRITER[0] = write_record
        calls = TrustedCalls.bind(probes, write_record)
        if witnesses is None:
            witnesses = SubmissionWitnesses(probes, trusted_folders).before_fork()
        frames = witnesses.frames
        watches = [witnesses.watch, DictWatch({"the worker's calls": calls}, frames, WATCH_LEVELS)]
        executed = _forget_grader_modules(witnesses)
        install_audit_hook(write_record, frames, executed)
        requests = os.fdopen(REQUEST_FD, "rb", buffering=0)
        replies = os.fdopen(REPLY_FD, "wb", buffering=0)
        if load is None:
            load = calls.read_frame(requests)
        if load is not None and load.get("op") == Op.LOAD:
            _serve(Question(calls), load, requests, replies, watches, pipes.nonce)
    except BaseException:  # noqa: BLE001 - never fall back into the relay's loop
        code = WorkerExit.FAILED
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _serve(
    question: Question,
    load: dict[str, Any],
    requests: Any,
    replies: Any,
    watches: list[DictWatch],
    nonce: bytes,
) -> None:
    heartbeat = record(RecordKind.HEARTBEAT, nonce.decode())
    tampering = RecordKind.TAMPERING
    calls = question.calls
    write_frame, read_frame, write_record = calls.write_frame, calls.read_frame, calls.write_record
    request: dict[str, Any] | None = load
    while request is not None and request.get("op") != Op.END:
        reply = handle(question, request)
        for watch in watches:
            for change in watch.changes():
                write_record(record(tampering, change))
        write_record(heartbeat)
        write_frame(replies, reply)
        if request is load and not reply.get("ok"):
            return
        request = read_frame(requests)


def _hold_only(pipes: QuestionPipes) -> None:
    """Put the pipes at fixed numbers (output on 1 and 2) and close every other descriptor:
    nothing of the zygote's channel, or of any other process's, stays reachable."""
    high = [os.dup(fd) for fd in (pipes.output, pipes.records, pipes.requests, pipes.replies)]
    output, records, requests, replies = high
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.dup2(records, RECORD_FD)
    os.dup2(requests, REQUEST_FD)
    os.dup2(replies, REPLY_FD)
    os.closerange(REPLY_FD + 1, 1 << 16)


def _trusted_namespaces(probes: ModuleType) -> dict[str, Any]:
    """Every namespace that trusted code in this process looks names up in."""
    import torch

    owners: dict[str, Any] = {
        "probes": probes,
        "probes.PROBES": probes.PROBES,
        "probes.FUNCTIONS": probes.FUNCTIONS,
    }
    owners.update(
        {
            f"probes.{name}": value
            for name, value in vars(probes).items()
            if isinstance(value, type)
            and value.__module__ == probes.__name__
            or isinstance(value, ModuleType)
            and value.__name__.startswith("grader_")
        }
    )
    for name, module in list(sys.modules.items()):
        if name.startswith("grader.") and module is not None:
            owners[name] = module
    owners.update({name: sys.modules[name] for name in TRUSTED_NAMESPACES if name in sys.modules})
    owners.update(
        {
            "torch.Tensor": torch.Tensor,
            "torch.TensorBase": torch.Tensor.__mro__[1],
            "InputSnapshot": InputSnapshot,
        }
    )
    return owners


def _grader_module_names() -> list[str]:
    return [n for n in sys.modules if n == "grader" or n.startswith(("grader.", "grader_"))]


def _forget_grader_modules(witnesses: Witnesses | None = None) -> ModuleRuns | None:
    """The student's code cannot import the grader's modules or the probes: each is already
    bound where it is used, and importing one afresh is noted by the audit hook. Nothing of
    the grader stays reachable from `sys` (cut_grader_roots: before the fork, when
    `witnesses` were taken there). Returns the modules whose code has run, unless they must
    be looked at here."""
    if witnesses is not None and len(sys.modules) == witnesses.modules:
        names, executed = witnesses.grader_modules, witnesses.executed
    else:  # nothing taken before, or (never expected) a module came since: look at them all
        names, executed = _grader_module_names(), None
        cut_grader_roots()
    for name in names:
        del sys.modules[name]
    return executed


def handle(question: Question, request: dict[str, Any]) -> dict[str, Any]:
    """Serve one request; student failures become error replies, never crashes."""
    started = time.perf_counter()
    try:
        reply = _dispatch(question, request)
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything
        reply = {"ok": False, "error": describe_exception(exc, question.module_path, question.module)}
    reply["seconds"] = time.perf_counter() - started
    return reply


def _dispatch(question: Question, request: dict[str, Any]) -> dict[str, Any]:
    op = request.get("op")
    if op == Op.LOAD:
        _load(question, str(request["path"]), str(request["module"]))
        return {"ok": True, "value": None}
    if question.module is None:
        return {
            "ok": False,
            "error": {
                "kind": ErrorKind.PROTOCOL,
                "type": "ProtocolError",
                "message": "no module loaded",
                "traceback": "",
            },
        }
    calls = question.calls
    if request.get("fresh"):  # a new test: the objects of the last one are gone
        question.objects.clear()
        seed = request.get("seed")
        if type(seed) is int:  # the test's global draws start where the reference's do
            calls.seed_globals(seed)
    blobs = request.get(protocol.BLOBS, [])
    decode = calls.decode
    args = decode(request.get("args", []), calls.build_function, blobs, objects=question.object)
    kwargs = decode(
        request.get("kwargs", {"$dict": {}}), calls.build_function, blobs, objects=question.object
    )
    if op == Op.CALL:
        target = _call_target(question, request)
        owner = question.object(int(request["object"])) if "object" in request else None
        return _run(calls, lambda: target(*args, **kwargs), args, kwargs, question.keep, owner)
    if op == Op.GET:
        owner, name = question.object(int(request["object"])), str(request["name"])
        return _run(calls, lambda: _attribute(owner, name), [], {}, question.keep)
    if op == Op.PROBE:
        probe = calls.probes[str(request["probe"])]
        module = CheckedModule(question.module, calls)
        return _run(calls, lambda: probe(module, *args, **kwargs), args, kwargs, question.keep)
    raise protocol.ProtocolError(f"unknown op {op!r}")


def _call_target(question: Question, request: dict[str, Any]) -> Callable[..., Any]:
    """A function or class of the module, or (with `object`) a method of a test's object."""
    name = str(request["function"])
    if "object" not in request:
        assert question.module is not None
        return _student_function(question.module, name)
    target: object = getattr(question.object(int(request["object"])), name)
    if not callable(target):
        raise TypeError(f"{name!r} is not a method")
    return target


def _attribute(owner: Any, name: str) -> Any:
    """An attribute's value; a method comes back by name, to be called as such."""
    value = getattr(owner, name)
    return protocol.MethodRef(name) if callable(value) and not isinstance(value, type) else value


def _made_by_submission(value: Any, module_path: str) -> bool:
    """Whether `value` is an instance of a class defined in the submission's own files."""
    module = sys.modules.get(getattr(type(value), "__module__", "") or "")
    file = getattr(module, "__file__", None)
    folder = os.path.dirname(module_path)
    return isinstance(file, str) and bool(folder) and os.path.abspath(file).startswith(folder + os.sep)


class CheckedModule:
    """The student's module as a probe sees it: each of its functions, called from trusted
    code, is checked on return for a torch mode left active (see TorchModes)."""

    def __init__(self, module: ModuleType, calls: TrustedCalls) -> None:
        self._module = module
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        if not callable(value):
            return value
        calls = self._calls

        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            finally:
                calls.returned_from_student()

        return checked


def _student_function(module: ModuleType, name: str) -> Callable[..., Any]:
    target: object = getattr(module, name)  # a missing function is reported as not attempted
    if not callable(target):
        raise TypeError(f"{name!r} in the submission is not a function")
    return target


def _run(
    calls: TrustedCalls,
    call: Callable[[], Any],
    args: list[Any],
    kwargs: dict[str, Any],
    keep: Callable[[Any], Any],
    owner: Any = None,
) -> dict[str, Any]:
    """Run one call into student code; a method's object (`owner`) is snapshotted too, and
    what changed of it is said apart: a method may be meant to change it."""
    snapshot = calls.snapshot(args, kwargs)
    itself = {"self": owner}
    own = calls.snapshot([], itself) if owner is not None else None
    started = time.perf_counter()
    value = call()
    calls.returned_from_student()
    inside = time.perf_counter() - started
    blobs: list[protocol.Blob] = []
    encoded = calls.encode(keep(value), blobs=blobs)
    return {
        "ok": True,
        "value": encoded,
        "modified": calls.changes(snapshot, args, kwargs),
        "modified_self": calls.changes(own, [], itself) if own is not None else [],
        "student_seconds": inside,
        protocol.BLOBS: blobs,
    }


def _load(question: Question, path: str, module_name: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    question.module_path = os.path.abspath(path)
    question.module = import_file(module_name, path)


def describe_exception(
    exc: BaseException, student_path: str, module: ModuleType | None = None
) -> dict[str, Any]:
    """Describe an exception as data, keeping only the student's own frames."""
    kind = ErrorKind.RAISED
    if isinstance(exc, NotImplementedError):
        kind = ErrorKind.NOT_IMPLEMENTED
    elif isinstance(exc, AttributeError) and module is not None and exc.obj is module:
        kind = ErrorKind.MISSING
    elif isinstance(exc, MemoryError) or any(h in _safe_str(exc) for h in MEMORY_ERROR_HINTS):
        kind = ErrorKind.MEMORY
    elif isinstance(exc, SystemExit):
        kind = ErrorKind.EXIT
    elif isinstance(exc, protocol.ProtocolError):
        kind = ErrorKind.UNSENDABLE
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if student_path and os.path.abspath(frame.filename) == student_path
    ]
    lines = traceback.format_list(frames)
    return {
        "kind": kind,
        "type": type(exc).__name__[:200],
        "function": str(getattr(exc, "name", ""))[:200]
        if kind == ErrorKind.MISSING
        else (frames[-1].name if frames else ""),
        "message": _safe_str(exc) if not isinstance(exc, SystemExit) else str(exc.code)[:200],
        "traceback": "".join(lines)[:8000],
    }


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)[:4000]
    except Exception:  # noqa: BLE001 - a hostile __str__
        return "<unprintable exception>"
