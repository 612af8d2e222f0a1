"""The grader's roots in `sys` (its entry module, the hooks it set), cut before student code
runs: what cannot be named needs no witness."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable
from typing import Any

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
    function: Callable[..., None] = scope.pop(name)
    return function
