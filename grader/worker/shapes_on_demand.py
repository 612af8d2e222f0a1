"""torch's symbolic-shapes module, imported only when something needs more than a size check.

Every `torch.autograd.grad(..., grad_outputs=v)` and `y.backward(v)` checks that `v` has the
output's size with two helpers of `torch.fx.experimental.symbolic_shapes`, and importing that
module imports sympy: about 0.4 s, a quarter of `import torch`, paid by every worker before its
first result although the sizes compared are plain integers. Here the module is registered
as a lazy module (the standard library's `LazyLoader`) that answers those two helpers itself
for plain sizes, exactly as torch's do, and runs the real module's code, in the same module
object, the first time anything else is asked of it (symbolic sizes, `torch._dynamo`, a
student's own import).
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any

NAME = "torch.fx.experimental.symbolic_shapes"
_LazyModule: Any = importlib.util._LazyModule  # type: ignore[attr-defined]
"""The standard library's lazy module (`LazyLoader` makes one): loaded on its first attribute."""


def install() -> None:
    """Register the module lazily, unless it is already imported (nothing to save then)."""
    if NAME in sys.modules:
        return
    import torch.fx.experimental

    spec = importlib.util.find_spec(NAME)
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[NAME] = module
    spec.loader.exec_module(module)  # makes it a lazy module: nothing of it has run yet
    module.__class__ = _SizeChecksFirst
    torch.fx.experimental.symbolic_shapes = module


def _torchs(name: str) -> Any:
    """torch's own helper `name`, the module's code run first if it has not yet."""
    module = sys.modules[NAME]
    if type(module) is _SizeChecksFirst:
        return _LazyModule.__getattribute__(module, name)  # loads it
    return getattr(module, name)


def sym_eq(x: Any, y: Any) -> Any:
    """torch's `sym_eq` for two plain sizes or two plain ints; anything else (a symbolic size,
    a size against an int) goes to torch's own."""
    if _plain_size(x) and _plain_size(y):
        return len(x) == len(y) and all(a == b for a, b in zip(x, y, strict=True))
    if type(x) is int and type(y) is int:
        return x == y
    return _torchs("sym_eq")(x, y)


def expect_true(a: Any, skip: int = 0) -> Any:
    """torch's `expect_true` for a plain bool; a symbolic one goes to torch's own."""
    if type(a) is bool:
        return a
    return _torchs("expect_true")(a, skip + 1)


def _plain_size(value: Any) -> bool:
    """A tuple or list of plain ints (a torch.Size of a real tensor)."""
    return isinstance(value, (tuple, list)) and all(type(item) is int for item in value)


_FAST = {"sym_eq": sym_eq, "expect_true": expect_true}
_SET_BEFORE_ITS_CODE = frozenset(
    {"__spec__", "__path__", "__name__", "__loader__", "__file__", "__cached__", "__package__"}
)
"""What the import system sets before a module's code runs, and what an import statement or a
walk over `sys.modules` asks of a module (`from ... import sym_eq`, `inspect.getmodule`):
answered as they are, without loading it."""


def not_yet_run(module: object) -> bool:
    """Whether `module` is the lazy module, its code not run yet (nothing in it to look at)."""
    return type(module) is _SizeChecksFirst


class _SizeChecksFirst(_LazyModule):  # type: ignore[misc]
    """A lazy module that answers the two size checks without loading itself. Once loaded,
    the standard library makes it a plain module and torch's own helpers answer."""

    def __getattribute__(self, attr: str) -> Any:
        fast = _FAST.get(attr)
        if fast is not None:
            return fast
        if attr in _SET_BEFORE_ITS_CODE:
            return types.ModuleType.__getattribute__(self, attr)
        return super().__getattribute__(attr)
