"""Evidence of tampering, gathered beside student code and reported where it cannot be unsaid.

Probes, the input guard and the forbidden-helper recorder must share the student's process,
so the student's code can reach them. Three witnesses watch them (see README, "Security
model"):

- an **audit hook**, installed before the student's module is imported, notes the doors that
  lead to trusted objects held only in local variables: frames, `gc`, `ctypes`, code objects,
  tracing, `/proc/self/mem`, importing the grader;
- a **dict watch** notes any change to the namespaces trusted code looks names up in (the
  probes' and the worker's module globals, their classes, torch's autograd entry points),
  even a change undone before the check: CPython bumps a dict's version tag on every write;
- each finding is written at once, as a record, to a pipe whose reading end is held by the
  question's relay, a process that never runs student code. What was written cannot be taken
  back; a record channel that is closed or swapped ends the question.

None of this is proof: code in the same process can in principle do anything. It raises the
cost of a forgery, and every door it watches scores zero when used.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys
import types
from typing import Any, Callable

RECORD_FD = 3
"""The record pipe's writing end, at the same number in every question process."""
EXIT_TAMPERED = 86
"""The exit code of a question process whose record channel was closed or swapped."""
TAMPERING, FORBIDDEN, HEARTBEAT = b"T", b"F", b"H"

_WATCHED_EVENTS = frozenset({
    "sys._getframe", "sys._current_frames", "sys._current_exceptions", "sys.settrace",
    "sys.setprofile", "gc.get_referrers", "gc.get_referents", "gc.get_objects",
    "code.__new__", "marshal.loads", "marshal.load", "object.__getattr__",
    "object.__setattr__", "object.__delattr__", "compile", "open", "import",
})
_FRAME_ATTRIBUTES = frozenset({"tb_frame", "gi_frame", "cr_frame", "ag_frame", "__code__",
                               "f_back", "gi_code", "cr_code"})
_CODE_ATTRIBUTES = frozenset({"__code__", "__defaults__", "__kwdefaults__", "__globals__",
                              "__closure__"})
_FRAME_GIVERS = {"/inspect.py": frozenset({"currentframe", "stack", "trace", "getouterframes",
                                           "getinnerframes", "getframeinfo"}),
                 "/traceback.py": frozenset({"walk_tb", "walk_stack"}),
                 "/logging/__init__.py": frozenset({"<lambda>", "currentframe"})}
"""Standard-library functions that hand frames to their caller: whoever called the outermost
of them is the cause. Everything else in the standard library (inspect.signature reading
__code__, traceback formatting an exception, logging finding its caller) acts for itself."""
_ALWAYS = frozenset({"sys.settrace", "sys.setprofile"})
"""Events that hand every frame to a callback, whoever asked: nothing in grading needs them
(the worker makes breakpoint() do nothing, so a forgotten one is not one)."""


def record_writer(fd: int = RECORD_FD) -> Callable[[bytes], None]:
    """A function that appends one record to the record pipe.

    Its globals are a private dict holding only what it needs, bound now: replacing
    `os.write` or a module attribute later changes nothing. If `fd` is no longer the pipe
    it was (closed, or another file put in its place), the process ends at once.
    """
    scope: dict[str, Any] = {"__builtins__": {}, "FSTAT": os.fstat, "WRITE": os.write,
                             "EXIT": os._exit, "FD": fd, "INODE": os.fstat(fd).st_ino,
                             "CODE": EXIT_TAMPERED, "OSError": OSError}
    exec(compile(  # noqa: S102 - fixed text, compiled here so it has no module globals
        "def write_record(record):\n"
        "    try:\n"
        "        if FSTAT(FD).st_ino != INODE:\n"
        "            EXIT(CODE)\n"
        "        WRITE(FD, record)\n"
        "    except OSError:\n"
        "        EXIT(CODE)\n", "<grader record writer>", "exec"), scope)
    return scope["write_record"]


def record(kind: bytes, text: str) -> bytes:
    """One record: a kind byte and the text, on a line of its own. The leading newline ends
    whatever stray bytes student code wrote to the pipe first, so no record of ours can be
    glued to them; one write of under PIPE_BUF bytes is never interleaved with another."""
    return b"\n" + kind + text.replace("\n", " ").encode("utf-8", "replace")[:500] + b"\n"


class StudentFrames:
    """Decides whether an event was caused by student code, from the calling frames.

    Trusted code lives in the Python installation, its site-packages, the grader and the
    assignment; anything else (the submission's folder, code compiled from a string) is the
    student's. Standard-library helpers that act for their caller (`inspect.currentframe`,
    `traceback.walk_stack`) are looked through, so the caller is judged instead.
    """

    def __init__(self, trusted_prefixes: list[str]) -> None:
        self.trusted = tuple(sorted({os.path.join(os.path.realpath(p), "")
                                     for p in trusted_prefixes}))

    def is_trusted_file(self, filename: str, _startswith=str.startswith) -> bool:
        return _startswith(filename, self.trusted) or _startswith(filename, "<frozen ")

    def cause(self, frame: Any) -> tuple[bool, str]:
        """(caused by the student, where) for the innermost frame of an event."""
        if frame is None:
            return False, ""
        code = frame.f_code
        while frame.f_back is not None and _is_frame_giver(code):
            frame = frame.f_back
            code = frame.f_code
        return not self.is_trusted_file(code.co_filename), f"{code.co_filename}:{frame.f_lineno}"


def _is_frame_giver(code: types.CodeType) -> bool:
    return any(code.co_filename.endswith(suffix) and code.co_name in names
               for suffix, names in _FRAME_GIVERS.items())


def _suspicious(event: str, args: tuple[Any, ...], frames: StudentFrames) -> str | None:
    """Why this event, if caused by the student, is tampering; None if it is not."""
    if event == "object.__getattr__":
        return f"read {args[1]}" if args[1] in _FRAME_ATTRIBUTES else None
    if event in ("object.__setattr__", "object.__delattr__"):
        return f"replaced {args[1]}" if args[1] in _CODE_ATTRIBUTES else None
    if event == "compile":
        filename = args[1] if isinstance(args[1], str) else ""
        return (f"compiled code claiming to be {filename}"
                if frames.is_trusted_file(filename) else None)
    if event == "open":
        path = args[0] if isinstance(args[0], str) else ""
        return f"opened {path}" if _is_process_memory(path) else None
    if event == "import":
        name = args[0] if isinstance(args[0], str) else ""
        return f"imported {name}" if name.split(".")[0].startswith("grader") else None
    return f"called {event}"


def _is_process_memory(path: str) -> bool:
    parts = path.split("/")
    return len(parts) >= 4 and parts[1] == "proc" and parts[3] in ("mem", "fd", "map_files",
                                                                    "task", "environ")


def install_audit_hook(write_record: Callable[[bytes], None], frames: StudentFrames) -> None:
    """Note every watched event that student code causes, for the rest of the process."""
    busy = [False]
    getframe, watched = sys._getframe, _WATCHED_EVENTS

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if busy[0] or (event not in watched and not event.startswith("ctypes.")):
            return
        busy[0] = True
        try:
            reason = _suspicious(event, args, frames)
            if reason is not None:
                student, where = frames.cause(getframe(1))
                if student or event in _ALWAYS:
                    write_record(record(TAMPERING, f"{reason} at {where}"))
        finally:
            busy[0] = False

    sys.addaudithook(hook)


def _version(mapping: dict[str, Any], _from=ctypes.c_uint64.from_address) -> int:
    """CPython's version tag of a dict (PEP 509): it changes on every write to the dict."""
    return _from(id(mapping) + 3 * ctypes.sizeof(ctypes.c_ssize_t)).value


def namespace_of(owner: Any) -> dict[str, Any]:
    """The real dict behind a module's or a class's namespace (or the dict itself)."""
    if isinstance(owner, dict):
        return owner
    namespace = vars(owner)
    if isinstance(namespace, dict):  # a module's, or an instance's
        return namespace
    return next(r for r in gc.get_referents(namespace) if isinstance(r, dict))  # a class's


STRICT, GUARDED, LENIENT = "strict", "guarded", "lenient"
"""How closely a namespace is watched. STRICT (the grader's own code, the probes): any change.
GUARDED (torch's autograd entry points the probes call): a value from outside trusted code,
or a change undone before the check. LENIENT (the rest of torch, json, builtins, which torch
itself rebinds at times, e.g. `torch.Storage` on set_default_dtype): a value from outside
trusted code only."""


class DictWatch:
    """The namespaces trusted code depends on, as they were before any student code ran."""

    ALLOWED_NEW = ("__warningregistry__",)

    def __init__(self, owners: dict[str, Any], frames: StudentFrames,
                 levels: dict[str, str] | None = None) -> None:
        self._frames = frames
        self._entries = []
        for label, owner in owners.items():
            mapping = namespace_of(owner)
            level = (levels or {}).get(label, STRICT)
            self._entries.append([label, mapping, _version(mapping), dict(mapping), level])

    def changes(self) -> list[str]:
        """What changed since the snapshot. Accepted changes (a lazily imported submodule, a
        warnings registry, torch rebinding its own names) become part of the snapshot."""
        found = []
        for entry in self._entries:
            label, mapping, version, before, level = entry
            if _version(mapping) == version:
                continue
            problem = self._judge(label, mapping, before, level)
            if problem:
                found.append(problem)
            else:
                entry[2], entry[3] = _version(mapping), dict(mapping)
        return found

    def _judge(self, label: str, mapping: dict[str, Any], before: dict[str, Any],
               level: str) -> str | None:
        changed = [key for key, value in before.items() if mapping.get(key, before) is not value]
        changed += [key for key in mapping if key not in before]
        for key in changed:
            value = mapping.get(key, before)
            if key in self.ALLOWED_NEW or isinstance(value, types.ModuleType) and key not in before:
                continue
            if level == STRICT or value is before or not self._trusted_value(value):
                return f"{label}.{key} was replaced"
        if not changed and level != LENIENT:
            return f"{label} was changed and restored"
        return None

    def _trusted_value(self, value: Any) -> bool:
        """Whether a new value comes from trusted code (torch rebinding its own names)."""
        if isinstance(value, (types.ModuleType, types.BuiltinFunctionType, int, float, str,
                              bool, type(None))):
            return True
        if isinstance(value, types.MethodType):
            value = value.__func__
        if isinstance(value, types.FunctionType):
            return self._frames.is_trusted_file(value.__code__.co_filename)
        if isinstance(value, type):
            module = sys.modules.get(value.__module__)
            return self._frames.is_trusted_file(getattr(module, "__file__", None) or "")
        return False
