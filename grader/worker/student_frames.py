"""Whose code caused an event beside student code, judged by where its frames' code lives:
the witnesses note only what the student caused, never what trusted code does for itself."""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any

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


class StudentFrames:
    """Decides whether an event was caused by student code, from the calling frames.

    Trusted code lives in the Python installation, its site-packages, the grader and the
    assignment; anything else (the submission's folder, code compiled from a string) is the
    student's. Standard-library helpers that act for their caller (`inspect.currentframe`,
    `traceback.walk_stack`) are looked through, so the caller is judged instead.
    """

    def __init__(self, trusted_prefixes: list[str]) -> None:
        self.trusted = tuple(sorted({os.path.join(os.path.realpath(p), "") for p in trusted_prefixes}))

    def is_trusted_file(self, filename: str, _startswith: Callable[..., bool] = str.startswith) -> bool:
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
