"""The audit hook: a witness of the doors that lead to trusted objects beside student code.

Probes, the input guard and the forbidden-helper recorders must share the student's process,
so the student's code can reach them. Installed before the student's module is imported, the
hook notes the doors that lead to trusted objects held only in local variables: frames, `gc`,
`ctypes`, code objects, tracing, a process's memory (:mod:`grader.worker.process_doors`),
importing the grader, running a trusted module a second time
(:mod:`grader.worker.module_runs`). Whether student code caused an event is judged from the
calling frames (:mod:`grader.worker.student_frames`); each finding goes to the record pipe
(:mod:`grader.worker.records`).
"""

from __future__ import annotations

import _thread
import pathlib
import sys
from collections.abc import Callable
from typing import Any

from grader.wire.vocabulary import RecordKind
from grader.worker.module_runs import ModuleRuns
from grader.worker.process_doors import is_process_memory
from grader.worker.records import record
from grader.worker.student_frames import StudentFrames

_PROCESS_STARTS = frozenset({"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn"})
"""Events that start another program. A new interpreter holds none of the witnesses (no hook,
no recorders), so work done there is unseen: a question's code that starts one is tampering
(a plain fork keeps them: the child is this process's image, hook and record pipe included)
whenever the student's code is anywhere on the stack (the library frame that raises the event,
`subprocess.py` or `os.py`, is trusted, so the innermost frame alone cannot tell)."""
_WATCHED_EVENTS = frozenset(
    {
        "sys._getframe",
        "sys._current_frames",
        "sys._current_exceptions",
        "sys.settrace",
        "sys.setprofile",
        "gc.get_referrers",
        "gc.get_referents",
        "gc.get_objects",
        "code.__new__",
        "marshal.loads",
        "marshal.load",
        "object.__getattr__",
        "object.__setattr__",
        "object.__delattr__",
        "compile",
        "open",
        "import",
        "exec",
        *_PROCESS_STARTS,
    }
)
_FRAME_ATTRIBUTES = frozenset(
    {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "__code__", "f_back", "gi_code", "cr_code"}
)
_CODE_ATTRIBUTES = frozenset(
    {"__code__", "__defaults__", "__kwdefaults__", "__globals__", "__closure__", "__class__", "__bases__"}
)
"""Assigned, each reroutes trusted code without writing to any dict the dict watch sees: a
class's `__bases__`, say, changes where its methods are found, not its namespace."""
_HIDDEN_MODULES = ("marshal", "_imp")
"""Makers of code objects no homework needs (crafted bytecode; `_imp._fix_co_filename`, which
relabels code as a trusted file's): taken out of `sys.modules` before student code, so that
importing one raises the import event. The import system keeps references of its own."""
_BYTECODE_LOADER = ("<frozen importlib._bootstrap_external>", "_compile_bytecode")
_PYC_HEADER = 16
_ALWAYS = frozenset({"sys.settrace", "sys.setprofile"})
"""Events that hand every frame to a callback, whoever asked: nothing in grading needs them
(the worker makes breakpoint() do nothing, so a forgotten one is not one)."""


def _suspicious(event: str, args: tuple[Any, ...], frames: StudentFrames) -> str | None:
    """Why this event, if caused by the student, is tampering; None if it is not.

    No method of an argument is ever called: an argument may be an object of the student's
    (a str subclass whose methods run student code while this hook runs). Only exact `str`
    values are read, with str's own functions; anything else where a name is expected counts.
    """
    if event == "object.__getattr__":
        return _named(args[1], _FRAME_ATTRIBUTES, "read")
    if event in ("object.__setattr__", "object.__delattr__"):
        return _named(args[1], _CODE_ATTRIBUTES, "replaced")
    if event == "compile":
        filename = _plain_text(args[1])
        if filename is None:
            return "compiled code under a file name that is not a string"
        return f"compiled code claiming to be {filename}" if frames.is_trusted_file(filename) else None
    if event == "open":
        path = _plain_text(args[0])
        if path is None:
            return None if _is_plain_path(args[0]) else "opened a file named by an object"
        return f"opened {path}" if is_process_memory(path) else None
    if event == "import":
        name = _plain_text(args[0])
        if name is None:
            return "imported a module named by an object"
        hidden = name in _HIDDEN_MODULES
        return f"imported {name}" if hidden or str.startswith(name, "grader") else None
    return f"called {event}"


def _student_caller(frame: Any, frames: StudentFrames) -> str | None:
    """Where the innermost of the student's frames on this stack is, or None if none is."""
    while frame is not None:
        code = frame.f_code
        if not frames.is_trusted_file(code.co_filename):
            return f"{code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _named(name: Any, names: frozenset[str], verb: str) -> str | None:
    if type(name) is not str:
        return f"{verb} an attribute named by an object"
    return f"{verb} {name}" if name in names else None


def _plain_text(value: Any) -> str | None:
    """An exact str as it is, an exact bytes decoded; None for any other object."""
    if type(value) is str:
        return value
    if type(value) is bytes:
        return bytes.decode(value, "utf-8", "replace")
    return None


def _is_plain_path(value: Any) -> bool:
    """A path object of the standard library's own (its text is data, not code), or a
    descriptor number."""
    return type(value) in _PLAIN_PATHS


_PLAIN_PATHS = (int, pathlib.PosixPath, pathlib.PurePosixPath, pathlib.WindowsPath)


def install_audit_hook(
    write_record: Callable[[bytes], None], frames: StudentFrames, executed: ModuleRuns | None = None
) -> None:
    """Note every watched event that student code causes, for the rest of the process.
    `executed` may be taken before a fork, by a process that runs no student code."""
    busy: set[int] = set()  # threads inside the hook: only their own events are skipped
    getframe, watched, thread = sys._getframe, _WATCHED_EVENTS, _thread.get_ident
    tampering = RecordKind.TAMPERING
    executed = executed if executed is not None else ModuleRuns(frames)
    read = _file_reader()

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in watched and not str.startswith(event, "ctypes."):
            return
        me = thread()
        if me in busy:
            return
        busy.add(me)
        try:
            if event == "exec":
                again = executed.again(args[0])
                if again is not None:
                    write_record(record(tampering, again))
                return
            if event == "compile":
                forged = _forged_origin(args, frames, read)
                if forged is not None:
                    write_record(record(tampering, f"{forged} at {frames.cause(getframe(1))[1]}"))
                    return
            if event == "marshal.loads":
                foreign = _foreign_bytecode(args, getframe(1), frames, read)
                if foreign is not None:
                    write_record(record(tampering, foreign))
                    return
            if event in _PROCESS_STARTS:
                where = _student_caller(getframe(1), frames)
                if where is not None:
                    write_record(record(tampering, f"started another process ({event}) at {where}"))
                return
            reason = _suspicious(event, args, frames)
            if reason is not None:
                student, where = frames.cause(getframe(1))
                if student or event in _ALWAYS:
                    write_record(record(tampering, f"{reason} at {where}"))
        finally:
            busy.discard(me)

    for name in _HIDDEN_MODULES:
        sys.modules.pop(name, None)
    sys.addaudithook(hook)


def _file_reader() -> Callable[[str], bytes | None]:
    """Read a whole file as bytes (None if it cannot be read), with functions bound now."""
    open_file = open

    def read(filename: str) -> bytes | None:
        try:
            with open_file(filename, "rb") as stream:
                return bytes(stream.read())
        except (OSError, ValueError):
            return None

    return read


def _forged_origin(
    args: tuple[Any, ...], frames: StudentFrames, read: Callable[[str], bytes | None]
) -> str | None:
    """Why compiling this is tampering, whoever asked: source given a trusted file's name
    that is not that file's own text.

    Trust is judged by a code object's file name, so code compiled under a trusted name
    would be trusted: compile() called by student code is noted as it happens, but a standard
    library helper can call it for the student (codeop.compile_command, a source loader's
    source_to_code), and the innermost caller is then trusted. The import system compiles a
    module's own source under its own name (when there is no bytecode cache); nothing
    compiles frozen modules while grading.
    """
    filename = _plain_text(args[1])
    if filename is None or not frames.is_trusted_file(filename):
        return None
    if not str.startswith(filename, "<frozen "):
        source = args[0]
        if type(source) is str:
            source = str.encode(source, "utf-8")
        if type(source) in (bytes, bytearray) and read(filename) == bytes(source):
            return None
    return f"compiled code claiming to be {filename}"


def _foreign_bytecode(
    args: tuple[Any, ...], caller: Any, frames: StudentFrames, read: Callable[[str], bytes | None]
) -> str | None:
    """Why the import system unmarshalling this is tampering, whoever asked: bytecode that is
    not a trusted file's own (the grader writes none; intake copies none, so any other was
    made at run time, and its code objects may carry a trusted file's name).
    """
    code = caller.f_code if caller is not None else None
    if code is None or (code.co_filename, code.co_name) != _BYTECODE_LOADER:
        return None
    path = caller.f_locals.get("bytecode_path")
    if type(path) is not str:
        return "loaded bytecode named by no file"
    if not frames.is_trusted_file(path):
        return f"loaded bytecode from {path}"
    data = args[0]
    if type(data) not in (bytes, bytearray, memoryview):
        return f"loaded bytecode from an object, as {path}"
    whole = read(path)
    if whole is None or whole[_PYC_HEADER:] != bytes(data):
        return f"loaded bytecode that is not {path}"
    return None
