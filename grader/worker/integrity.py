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

import _thread
import ctypes
import gc
import os
import pathlib
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

RECORD_FD = 3
"""The record pipe's writing end, at the same number in every question process."""
EXIT_TAMPERED = 86
"""The exit code of a question process whose record channel was closed or swapped."""
TAMPERING, FORBIDDEN, HEARTBEAT = b"T", b"F", b"H"

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
    }
)
_FRAME_ATTRIBUTES = frozenset(
    {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "__code__", "f_back", "gi_code", "cr_code"}
)
_CODE_ATTRIBUTES = frozenset(
    {"__code__", "__defaults__", "__kwdefaults__", "__globals__", "__closure__", "__class__"}
)
_FRAME_GIVERS = {
    "/inspect.py": frozenset(
        {"currentframe", "stack", "trace", "getouterframes", "getinnerframes", "getframeinfo"}
    ),
    "/traceback.py": frozenset({"walk_tb", "walk_stack"}),
    "/logging/__init__.py": frozenset({"<lambda>", "currentframe"}),
    "/bdb.py": frozenset({"get_stack"}),
    "/asyncio/base_tasks.py": frozenset({"_task_get_stack", "_task_print_stack"}),
}
"""Standard-library functions that hand frames to their caller: whoever called the outermost
of them is the cause. Everything else in the standard library (inspect.signature reading
__code__, traceback formatting an exception, logging finding its caller) acts for itself,
except traceback asked to capture locals (see _past_captured_locals)."""
_ALWAYS = frozenset({"sys.settrace", "sys.setprofile"})
"""Events that hand every frame to a callback, whoever asked: nothing in grading needs them
(the worker makes breakpoint() do nothing, so a forgotten one is not one)."""


def record_writer(fd: int = RECORD_FD) -> Callable[[bytes], None]:
    """A function that appends one record to the record pipe.

    Everything it needs (os.fstat, os.write, os._exit, the descriptor, the pipe's inode) is a
    constant of its code, bound now, and its globals are empty: replacing `os.write` or a
    module attribute later changes nothing, and neither does writing into the globals of
    the function, which student code that reached it could. If `fd` is no longer the pipe it
    was (closed, or another file put in its place), the process ends at once.
    """
    constants = {
        2001: os.fstat,
        2002: fd,
        2003: os.fstat(fd).st_ino,
        2004: os._exit,
        2005: EXIT_TAMPERED,
        2006: os.write,
        2007: OSError,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "int is not callable": placeholders
        module = compile(
            "def write_record(record):\n"
            "    try:\n"
            "        if (2001)(2002).st_ino != 2003:\n"
            "            (2004)(2005)\n"
            "        (2006)(2002, record)\n"
            "    except (2007):\n"
            "        (2004)(2005)\n",
            "<grader record writer>",
            "exec",
        )
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    code = code.replace(co_consts=tuple(constants.get(c, c) if type(c) is int else c for c in code.co_consts))
    return types.FunctionType(code, {"__builtins__": {}}, "write_record")


GRADER_PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "")
"""The grader package's folder: code from here is the grader's, whatever its module's name."""
_SYS_HOOKS = ("breakpointhook", "excepthook", "displayhook", "unraisablehook")


def cut_grader_roots() -> None:
    """Leave nothing of the grader where student code can name it without an audited door.

    Removing the grader's modules from `sys.modules` is not enough: the worker's entry module
    stays there as `__main__` (its `main` leads, through `__globals__`, which no audit event
    guards, to every module of the worker), and a hook the worker set on `sys` leads there
    too. Each becomes an empty module, or a no-op built from constants alone.
    """
    for name, module in list(sys.modules.items()):
        if (
            isinstance(module, types.ModuleType)
            and _is_grader_file(getattr(module, "__file__", None))
            and not name.startswith("grader")
        ):
            sys.modules[name] = types.ModuleType(name)
    for name in _SYS_HOOKS:
        hook = getattr(sys, name, None)
        if _is_grader_callable(hook):
            setattr(sys, name, _no_op(name) if name == "breakpointhook" else getattr(sys, f"__{name}__"))


def _is_grader_file(filename: Any) -> bool:
    return type(filename) is str and os.path.abspath(filename).startswith(GRADER_PACKAGE)


def _is_grader_callable(value: Any) -> bool:
    function = getattr(value, "__func__", value)
    code = getattr(function, "__code__", None)
    return isinstance(code, types.CodeType) and _is_grader_file(code.co_filename)


def _no_op(name: str) -> Callable[..., None]:
    """A function that does nothing and has nothing to follow (no module globals)."""
    scope: dict[str, Any] = {"__builtins__": {}}
    exec(f"def {name}(*args, **kwargs):\n    return None\n", scope)  # noqa: S102 - fixed text
    return scope.pop(name)


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
        self.trusted = tuple(sorted({os.path.join(os.path.realpath(p), "") for p in trusted_prefixes}))

    def is_trusted_file(self, filename: str, _startswith=str.startswith) -> bool:
        return _startswith(filename, self.trusted) or _startswith(filename, "<frozen ")

    def cause(self, frame: Any) -> tuple[bool, str]:
        """(caused by the student, where) for the innermost frame of an event.

        Frame-handing helpers are looked through to whoever called them (and named). Code
        torch generated from a string (torch.compile) is judged by torch's frame behind it;
        any other code without a file of its own is the student's.
        """
        if frame is None:
            return False, ""
        code, through = frame.f_code, ""
        while frame.f_back is not None and self.is_trusted_file(code.co_filename) and _is_frame_giver(code):
            through = f" (through {code.co_name})"
            frame = frame.f_back
            code = frame.f_code
        caller = _past_captured_locals(frame, self.is_trusted_file)
        if caller is not None:
            frame, code, through = caller, caller.f_code, " (through traceback's capture_locals)"
        filename = code.co_filename
        if filename.startswith("<") and not filename.startswith("<frozen "):
            behind = frame.f_back
            while behind is not None and behind.f_code.co_filename.startswith("<"):
                behind = behind.f_back
            if behind is not None and self.is_torch_file(behind.f_code.co_filename):
                return False, ""
        return not self.is_trusted_file(filename), f"{filename}:{frame.f_lineno}{through}"

    def is_torch_file(self, filename: str) -> bool:
        return self.is_trusted_file(filename) and "/torch/" in filename


def _past_captured_locals(frame: Any, trusted: Callable[[str], bool]) -> Any:
    """The frame that called the traceback module, if `frame` is in it on behalf of a call
    that captures locals (StackSummary.extract, TracebackException with capture_locals=True):
    that call hands every frame's local variables to its caller, as text, the worker's own
    (its heartbeat's nonce) included. None otherwise: traceback formatting an exception, or
    extracting a stack without locals, acts for itself."""
    captures = False
    while (
        frame is not None
        and str.endswith(frame.f_code.co_filename, "/traceback.py")
        and trusted(frame.f_code.co_filename)
    ):
        captures = captures or frame.f_locals.get("capture_locals") is True
        frame = frame.f_back
    return frame if captures else None


def _is_frame_giver(code: types.CodeType) -> bool:
    return any(
        code.co_filename.endswith(suffix) and code.co_name in names for suffix, names in _FRAME_GIVERS.items()
    )


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
        return f"opened {path}" if _is_process_memory(path) else None
    if event == "import":
        name = _plain_text(args[0])
        if name is None:
            return "imported a module named by an object"
        return f"imported {name}" if str.startswith(name, "grader") else None
    return f"called {event}"


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


_PROCESS_DOORS = frozenset({"mem", "fd", "map_files", "task", "environ", "cwd", "root"})
"""What /proc/<pid>/ holds that leads to a process's memory, its descriptors or its files."""


def _is_process_memory(path: str, _real: Callable[[str], str] = os.path.realpath) -> bool:
    """Whether opening `path` may reach a process's memory or descriptors, however it is
    written: `/proc/self/./mem`, `//proc/self/mem`, `/proc/self/root/proc/self/mem`, /dev/fd,
    a link (resolved), or a relative path naming one of them (opened beside a descriptor of
    /proc/self, a folder the event does not show)."""
    if not str.startswith(path, "/"):
        return not _PROCESS_DOORS.isdisjoint(str.split(path, "/"))
    try:
        real = _real(path)
    except (OSError, ValueError, RecursionError):
        real = path
    return _names_process_door(path) or _names_process_door(real)


def _names_process_door(path: str) -> bool:
    names = [name for name in str.split(path, "/") if name not in ("", ".")]
    if names[:2] == ["dev", "fd"]:
        return True
    return any(names[i] == "proc" and names[i + 2] in _PROCESS_DOORS for i in range(len(names) - 2))


def install_audit_hook(
    write_record: Callable[[bytes], None], frames: StudentFrames, executed: ModuleRuns | None = None
) -> None:
    """Note every watched event that student code causes, for the rest of the process.
    `executed` may be taken before a fork, by a process that runs no student code."""
    busy: set[int] = set()  # threads inside the hook: only their own events are skipped
    getframe, watched, thread = sys._getframe, _WATCHED_EVENTS, _thread.get_ident
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
                    write_record(record(TAMPERING, again))
                return
            if event == "compile":
                forged = _forged_origin(args, frames, read)
                if forged is not None:
                    write_record(record(TAMPERING, f"{forged} at {frames.cause(getframe(1))[1]}"))
                    return
            reason = _suspicious(event, args, frames)
            if reason is not None:
                student, where = frames.cause(getframe(1))
                if student or event in _ALWAYS:
                    write_record(record(TAMPERING, f"{reason} at {where}"))
        finally:
            busy.discard(me)

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


class ModuleRuns:
    """Notices a trusted module's code run a second time while its first run is loaded.

    Each module of the Python installation, torch and the grader runs once, when first
    imported. Running one again (`importlib.reload`, a second copy loaded from the same file,
    a module deleted from `sys.modules` and imported afresh) gives student code fresh
    functions that nothing here replaced or watches: the forbidden helpers without their
    recorders, torch's autograd entry points outside the dict watch. Whoever causes it (the
    import machinery always runs the code), it is tampering. A module whose import failed
    is imported again by whoever asks next (torch retries optional ones): that is no second
    run, as its first left nothing loaded.
    """

    def __init__(self, frames: StudentFrames) -> None:
        self._trusted = frames.is_trusted_file
        self._normal = os.path.normpath
        self._loaded_at_start = {
            self._normal(f)
            for f in (_file_of(m, self._normal) for m in list(sys.modules.values()))
            if f is not None
        }
        self._ran: set[str] = set()

    def again(self, code: Any) -> str | None:
        """Why running `code` is tampering (a trusted module's code, run before); else None."""
        if type(code) is not types.CodeType or code.co_name != "<module>":
            return None
        filename = code.co_filename
        if type(filename) is not str or not self._trusted(filename):
            return None
        filename = self._normal(filename)
        if filename in self._loaded_at_start or (filename in self._ran and self._loaded(filename)):
            return f"ran the module {filename} a second time (a copy nothing watches)"
        self._ran.add(filename)
        return None

    def _loaded(self, filename: str) -> bool:
        """Whether a module of this file is loaded (has names of its own beyond the import
        system's dunders, which a module about to run has already)."""
        for module in list(sys.modules.values()):
            if _file_of(module, self._normal) == filename and any(
                not str.startswith(name, "__") for name in module.__dict__ if type(name) is str
            ):
                return True
        return False


def _file_of(module: Any, normal: Callable[[str], str]) -> str | None:
    """A plain module's file as it was loaded (None for anything else, or a lazy module whose
    code has not run yet); no method of the object is called."""
    if type(module) is not types.ModuleType:
        return None
    filename = dict.get(module.__dict__, "__file__")
    return normal(filename) if type(filename) is str else None


class TorchModes:
    """Whether student code left a torch function or dispatch mode active.

    A mode is process-wide C state: no dict changes and no audit event is raised when one is
    pushed, yet every torch call in trusted code would then go through the student's
    __torch_function__. So it is checked each time control returns from student code to
    trusted code, before any torch work, with C functions bound before the student's import.
    Only torch's own DeviceContext (torch.set_default_device) is allowed.
    """

    def __init__(self) -> None:
        import torch
        from torch.utils._device import DeviceContext

        self._function_depth = torch._C._len_torch_function_stack
        self._dispatch_depth = torch._C._len_torch_dispatch_stack
        self._function_at = torch._C._get_function_stack_at
        self._allowed = DeviceContext

    def left_active(self, _range=range, _type=type) -> str | None:
        if self._dispatch_depth():
            return "left a torch dispatch mode active"
        for index in _range(self._function_depth()):
            if _type(self._function_at(index)) is not self._allowed:
                return "left a torch function mode active"
        return None


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


def _is_recorder(value: Any) -> bool:
    """Whether `value` is one of the forbidden helpers' recorders (grader.worker.forbidden):
    nothing, torch's own original function included, may take the place of one."""
    return type(value) is types.FunctionType and str.startswith(value.__code__.co_filename, "<recorder of ")


def _with_their_contents(owners: dict[str, Any], levels: dict[str, str]) -> list[tuple[str, Any, str]]:
    """Each owner with its level and, for a strictly watched module, the classes defined in
    it and the dicts at its top level: trusted code looks names up there too (a method of the
    input guard's classes, the table of frame-handing helpers), wherever student code found a
    reference to them."""
    found = []
    for label, owner in owners.items():
        level = levels.get(label, STRICT)
        found.append((label, owner, level))
        if level != STRICT or not isinstance(owner, types.ModuleType):
            continue
        for name, value in list(vars(owner).items()):
            if str.startswith(name, "__"):
                continue
            if type(value) is dict or (isinstance(value, type) and value.__module__ == owner.__name__):
                found.append((f"{label}.{name}", value, STRICT))
    return found


class DictWatch:
    """The namespaces trusted code depends on, as they were before any student code ran."""

    ALLOWED_NEW = ("__warningregistry__", "__slotnames__")
    """Names the standard library caches on modules and classes as they are used (warnings'
    registry; copyreg's slot names when a tensor is copied or pickled)."""

    def __init__(
        self, owners: dict[str, Any], frames: StudentFrames, levels: dict[str, str] | None = None
    ) -> None:
        self._frames = frames
        self._entries = []
        watched: set[int] = set()
        for label, owner, level in _with_their_contents(owners, levels or {}):
            mapping = namespace_of(owner)
            if id(mapping) not in watched:
                watched.add(id(mapping))
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

    def _judge(self, label: str, mapping: dict[str, Any], before: dict[str, Any], level: str) -> str | None:
        changed = [key for key, value in before.items() if mapping.get(key, before) is not value]
        changed += [key for key in mapping if key not in before]
        for key in changed:
            value = mapping.get(key, before)
            if key in self.ALLOWED_NEW or isinstance(value, types.ModuleType) and key not in before:
                continue
            if _is_recorder(before.get(key)):
                return f"{label}.{key}, a forbidden helper's recorder, was replaced"
            if level == STRICT or value is before or not self._trusted_value(value):
                return f"{label}.{key} was replaced"
        if not changed and level != LENIENT:
            return f"{label} was changed and restored"
        return None

    def _trusted_value(self, value: Any) -> bool:
        """Whether a new value comes from trusted code (torch rebinding its own names)."""
        if isinstance(
            value, (types.ModuleType, types.BuiltinFunctionType, int, float, str, bool, type(None))
        ):
            return True
        if isinstance(value, types.MethodType):
            value = value.__func__
        if isinstance(value, types.FunctionType):
            return self._frames.is_trusted_file(value.__code__.co_filename)
        if isinstance(value, type):
            module = sys.modules.get(value.__module__)
            return self._frames.is_trusted_file(getattr(module, "__file__", None) or "")
        return False
