"""A witness of trusted modules run twice: a second copy of one is a copy nothing watches."""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable
from typing import Any

from grader.worker.student_frames import StudentFrames


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
