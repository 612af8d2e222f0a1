"""Record calls to the ready-made helpers an assignment forbids.

The assignment names them (`[forbidden.helpers]` in its assignment.toml: each helper, and
each internal entry point that does its work); the trusted side passes the names on the
worker's command line. Each is replaced everywhere torch refers to it by a recorder, before
any student code is imported: `from torch.func import f`, `torch.func.f`, the internal
module's `f` and functorch all get the recorder. A call is
recorded (never blocked) by writing its name to the question's record pipe, and the trusted
side decides what it costs.

A recorder is built from constants alone (the original function, the record and the
question's record writer itself sit in its code object): it has no globals, closure, defaults
or `__wrapped__` that student code could swap or follow, and no slot it reads the writer from
at each call. Reaching the original through the recorder's code is reading `__code__`, which
the audit hook notes as tampering; swapping the record pipe's descriptor around a call ends
the question (the writer checks the pipe).
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any

from grader.wire.vocabulary import RecordKind
from grader.worker import shapes_on_demand
from grader.worker.records import record

_SOURCE = "def recorded(*args, **kwargs):\n    (1001)(1002)\n    return (1003)(*args, **kwargs)\n"
_UNBOUND: Callable[[bytes], Any] = eval("lambda record: None", {"__builtins__": {}})  # noqa: S307
"""The writer of a recorder made before its process has a record pipe: it writes nothing."""
_RECORDERS: list[types.FunctionType] = []


class _WriterSlot(list):  # type: ignore[type-arg]
    """`WRITER[0] = write_record`, once per question process, puts the question's record
    writer (which checks that the record pipe is still the one it was) into the code of every
    recorder, as a constant. After that the slot is read by nothing: student code that
    reaches it and puts `len` there changes no recorder, and a second binding is ignored."""

    def __setitem__(self, index: Any, writer: Any) -> None:
        if index != 0 or list.__getitem__(self, 0) is not _UNBOUND:
            return
        list.__setitem__(self, 0, writer)
        for function in _RECORDERS:
            function.__code__ = _with_writer(function.__code__, writer)


WRITER: list[Callable[[bytes], Any]] = _WriterSlot([_UNBOUND])
"""Where a question process hands its record writer to the recorders (see _WriterSlot)."""


def _with_writer(code: types.CodeType, writer: Callable[[bytes], Any]) -> types.CodeType:
    return code.replace(co_consts=tuple(writer if c is _UNBOUND else c for c in code.co_consts))


def recorder(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """A function that writes `name` to the record pipe, then calls `original`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "int is not callable": placeholders
        module = compile(_SOURCE, f"<recorder of {name}>", "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    placeholders = {
        1001: list.__getitem__(WRITER, 0),
        1002: record(RecordKind.FORBIDDEN, name),
        1003: original,
    }
    code = code.replace(
        co_consts=tuple(
            placeholders.get(c, c) if isinstance(c, int) and not isinstance(c, bool) else c
            for c in code.co_consts
        ),
        co_name=getattr(original, "__name__", "recorded"),
    )
    function = types.FunctionType(code, {"__builtins__": {}}, code.co_name)
    function.__doc__ = getattr(original, "__doc__", None)
    function.__module__ = getattr(original, "__module__", None)  # type: ignore[assignment]  # may be None
    function.__qualname__ = getattr(original, "__qualname__", code.co_name)
    _RECORDERS.append(function)
    return function


def install(helpers: dict[str, tuple[str, ...]]) -> list[str]:
    """Replace every forbidden helper (module name -> names in it) by its recorder, wherever
    a torch module refers to it.

    Returns the recorded names. Runs once, in the worker before any student code.
    """
    originals: dict[int, tuple[str, Any]] = {}
    for module_name, names in helpers.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in names:
            original = getattr(module, name, None)
            if callable(original) and id(original) not in originals:
                originals[id(original)] = (f"{module_name}.{name}", original)
    recorders = {key: recorder(label, original) for key, (label, original) in originals.items()}
    for module in list(sys.modules.values()):
        if _is_torch_module(module):
            _replace_references(module, recorders)
    return sorted(label for label, _ in originals.values())


def _is_torch_module(module: Any) -> bool:
    """A torch module that has run its code (one still lazy takes its references, when it runs,
    from namespaces already given the recorders)."""
    name = getattr(module, "__name__", "")
    return (
        isinstance(module, types.ModuleType)
        and (name == "torch" or name.startswith(("torch.", "functorch")))
        and not shapes_on_demand.not_yet_run(module)
    )


def _replace_references(module: types.ModuleType, recorders: dict[int, Callable[..., Any]]) -> None:
    namespace = vars(module)
    for key, value in list(namespace.items()):
        replacement = recorders.get(id(value))
        if replacement is not None:
            namespace[key] = replacement
