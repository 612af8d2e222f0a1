"""Record calls to the ready-made helpers an assignment forbids.

The assignment names them (`[forbidden.helpers]` in its assignment.toml: each helper, and
each internal entry point that does its work); the trusted side passes the names on the
worker's command line. Each is replaced everywhere torch refers to it by a recorder, before
any student code is imported: `from torch.func import f`, `torch.func.f`, the internal
module's `f` and functorch all get the recorder. A call is
recorded (never blocked) by writing its name to the question's record pipe, and the trusted
side decides what it costs.

A recorder is built from constants alone (the original function, the record and the slot of
the question's record writer sit in its code object): it has no globals, closure, defaults or
`__wrapped__` that student code could swap or follow. Reaching the original through the
recorder's code is reading `__code__`, which the audit hook notes as tampering; swapping the
record pipe's descriptor around a call ends the question (the writer checks the pipe).
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from typing import Any, Callable

from grader.worker.integrity import FORBIDDEN, record

_SOURCE = "def recorded(*args, **kwargs):\n    (1001)[0](1002)\n    return (1003)(*args, **kwargs)\n"

WRITER: list[Callable[[bytes], Any]] = [len]
"""Where every recorder finds the question's record writer (which checks that the record pipe
is still the one it was): `len`, writing nothing, until a question process puts its own
here. Reachable from a recorder only through its code object, a door the audit hook watches."""


def recorder(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
    """A function that writes `name` to the record pipe, then calls `original`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "int is not callable": placeholders
        module = compile(_SOURCE, f"<recorder of {name}>", "exec")
    code = next(c for c in module.co_consts if isinstance(c, types.CodeType))
    placeholders = {1001: WRITER, 1002: record(FORBIDDEN, name), 1003: original}
    code = code.replace(co_consts=tuple(placeholders.get(c, c) if isinstance(c, int)
                                        and not isinstance(c, bool) else c
                                        for c in code.co_consts),
                        co_name=getattr(original, "__name__", "recorded"))
    function = types.FunctionType(code, {"__builtins__": {}}, code.co_name)
    function.__doc__ = getattr(original, "__doc__", None)
    function.__module__ = getattr(original, "__module__", None)
    function.__qualname__ = getattr(original, "__qualname__", code.co_name)
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
    name = getattr(module, "__name__", "")
    return isinstance(module, types.ModuleType) and (
        name == "torch" or name.startswith(("torch.", "functorch")))


def _replace_references(module: types.ModuleType, recorders: dict[int, Callable[..., Any]]) -> None:
    namespace = vars(module)
    for key, value in list(namespace.items()):
        replacement = recorders.get(id(value))
        if replacement is not None:
            namespace[key] = replacement
