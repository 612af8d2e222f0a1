"""The record pipe: where every witness beside student code writes what it saw.

Each finding is written at once, as a record, to a pipe whose reading end is held by the
question's relay, a process that never runs student code. What was written cannot be taken
back; a record channel that is closed or swapped ends the question
(:attr:`~grader.wire.vocabulary.WorkerExit.TAMPERED`).
"""

from __future__ import annotations

import os
import types
import warnings
from collections.abc import Callable

from grader.wire.vocabulary import RecordKind, WorkerExit

RECORD_FD = 3
"""The record pipe's writing end, at the same number in every question process."""


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
        2005: int(WorkerExit.TAMPERED),
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


def record(kind: RecordKind, text: str) -> bytes:
    """One record: a kind byte and the text, on a line of its own. The leading newline ends
    whatever stray bytes student code wrote to the pipe first, so no record of ours can be
    glued to them; one write of under PIPE_BUF bytes is never interleaved with another."""
    return b"\n" + kind + text.replace("\n", " ").encode("utf-8", "replace")[:500] + b"\n"
