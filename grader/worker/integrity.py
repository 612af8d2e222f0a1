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
                                           "getinnerframes"}),
                 "/traceback.py": frozenset({"walk_tb", "walk_stack"})}
"""Standard-library functions that hand frames to their caller: the caller is the cause.
Everything else in the standard library (inspect.signature reading __code__, traceback
formatting an exception, logging finding its caller) acts for itself and is trusted."""


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
    """One record: a kind byte, the text on one line."""
    return kind + text.replace("\n", " ").encode("utf-8", "replace")[:500] + b"\n"


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
        for suffix, givers in _FRAME_GIVERS.items():
            if code.co_filename.endswith(suffix) and code.co_name in givers and frame.f_back:
                frame, code = frame.f_back, frame.f_back.f_code
                break
        return not self.is_trusted_file(code.co_filename), f"{code.co_filename}:{frame.f_lineno}"


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
                if student:
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
    if isinstance(owner, types.ModuleType):
        return vars(owner)
    return next(r for r in gc.get_referents(vars(owner)) if isinstance(r, dict))


class DictWatch:
    """The namespaces trusted code depends on, as they were before any student code ran."""

    ALLOWED_NEW = ("__warningregistry__",)

    def __init__(self, owners: dict[str, Any]) -> None:
        self._entries = []
        for label, owner in owners.items():
            mapping = namespace_of(owner)
            self._entries.append([label, mapping, _version(mapping), dict(mapping)])

    def changes(self, _len=len, _isinstance=isinstance, _module=types.ModuleType) -> list[str]:
        """What changed since the snapshot; harmless growth (a lazily imported submodule, a
        warnings registry) is accepted and becomes part of the snapshot."""
        found = []
        for entry in self._entries:
            label, mapping, version, before = entry
            if _version(mapping) == version:
                continue
            replaced = [key for key, value in before.items() if mapping.get(key, before) is not value]
            added = [key for key in mapping if key not in before]
            if replaced:
                found.append(f"{label}.{replaced[0]} was replaced")
            elif not added or any(not _isinstance(mapping[key], _module)
                                  and key not in self.ALLOWED_NEW for key in added):
                found.append(f"{label} was changed" + (" and restored" if not added else ""))
            else:
                entry[2], entry[3] = _version(mapping), dict(mapping)
        return found
