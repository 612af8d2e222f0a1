"""The protocol's words, each named once: what a frame's `op` says, which process an `exited`
frame speaks of, how a call failed, what a record says, and how a worker process exits.

Each is a `StrEnum`, an `IntEnum` or a bytes enum, so a member is its value on the wire: a
frame, a record or an exit status is byte for byte what the literal word was, and a word read
back compares equal to its member.
"""

from __future__ import annotations

import enum


class Op(enum.StrEnum):
    """A frame's `op`: what a request asks, or (`exited`) that a process ended."""

    SUBMISSION = "submission"
    """Trusted side to zygote: start one submission's process."""
    LOAD = "load"
    """Start a question process and import the submission in it."""
    CALL = "call"
    """Run one of the student's functions."""
    PROBE = "probe"
    """Run a trusted probe against the student's module."""
    GET = "get"
    """Read an attribute of one of the student's objects (a callable one comes back by name)."""
    END = "end"
    """End the question in flight."""
    END_SUBMISSION = "end-submission"
    """End the submission's process and everything it started."""
    SETUP = "setup"
    """Portable worker to a spawned question process: its submission, nonce and `load`."""
    EXITED = "exited"
    """A process ended: said only by the relay or the zygote, never by a question."""


class Scope(enum.StrEnum):
    """Which process an `exited` frame speaks of."""

    QUESTION = "question"
    SUBMISSION = "submission"


class ErrorKind(enum.StrEnum):
    """How a request failed, in an error reply's `kind`."""

    RAISED = "raised"
    """Student code raised an exception."""
    NOT_IMPLEMENTED = "not_implemented"
    """The stub's NotImplementedError is still there."""
    MISSING = "missing"
    """The submission defines no function of that name."""
    MEMORY = "memory"
    """The memory limit was reached."""
    EXIT = "exit"
    """Student code called sys.exit()."""
    UNSENDABLE = "unsendable"
    """Student code returned a value the protocol cannot carry."""
    PROTOCOL = "protocol"
    """The request made no sense where it came (the grader's mistake, not the student's)."""


class RecordKind(bytes, enum.Enum):
    """The first byte of a record on a question's record pipe, read by its relay."""

    TAMPERING = b"T"
    """A witness saw student code reach for trusted code beside it."""
    FORBIDDEN = b"F"
    """A forbidden helper was called (recorded, never blocked)."""
    HEARTBEAT = b"H"
    """The question process's own code wrote this reply (it carries the question's nonce)."""


class WorkerExit(enum.IntEnum):
    """Exit codes a worker's own processes choose (any other code is student code's, or a
    signal's)."""

    FAILED = 70
    """A submission's or question's process failed in its own code (EX_SOFTWARE)."""
    FORKED = 71
    """The portable worker forked, which it must never do."""
    ORPHANED = 72
    """A question process whose portable worker is gone (Windows)."""
    TAMPERED = 86
    """A question process whose record pipe was closed or swapped."""
