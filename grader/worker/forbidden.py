"""Record calls to the ready-made second-order helpers that `hessian` and `hvp` forbid.

The monitor wraps the helpers in the worker before any student code is imported, so
``from torch.func import hessian`` in a submission also gets the wrapper. A call is recorded
(never blocked) while a request is being served, and the trusted side decides what it costs.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable, Iterator

FORBIDDEN_HELPERS: dict[str, tuple[str, ...]] = {
    "torch.autograd.functional": ("hessian", "hvp", "vhp", "jacobian", "jvp", "vjp"),
    "torch.func": ("hessian", "jacrev", "jacfwd", "vjp", "jvp", "grad", "grad_and_value"),
}


class ForbiddenHelperMonitor:
    """Wraps each forbidden helper; `watch()` collects the names of those called."""

    def __init__(self) -> None:
        self._active: set[str] | None = None

    def install(self) -> None:
        import importlib

        for module_name, names in FORBIDDEN_HELPERS.items():
            module = importlib.import_module(module_name)
            for name in names:
                original = getattr(module, name, None)
                if original is not None:
                    setattr(module, name, self._wrap(f"{module_name}.{name}", original))

    def _wrap(self, qualified: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def recorded(*args: Any, **kwargs: Any) -> Any:
            if self._active is not None:
                self._active.add(qualified)
            return original(*args, **kwargs)

        return recorded

    @contextlib.contextmanager
    def watch(self) -> Iterator[set[str]]:
        self._active = set()
        try:
            yield self._active
        finally:
            self._active = None
