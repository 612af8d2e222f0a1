"""The `student` fixture: call the submission's functions as if they were local.

``student.f(x, y, 0)`` sends copies of the inputs to the worker, runs the
student's function there and returns a :class:`Reply` of plain tensors and what the worker
observed (inputs changed, forbidden helpers called). Failures raise a
:class:`grader.problems.StudentProblem`, which the plugin grades as that test's outcome.

``student.MAML(num_steps=1)`` makes one of the student's objects: it stays in their process
for the test and comes back as a :class:`~grader.remote_object.RemoteObject` (``.reply`` is
its making's Reply); ``model.train(task)`` returns a Reply like a function call's and
``model.history`` the attribute's value, each a call under the same limits and guards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from grader import problems, untrusted_text
from grader.call_description import describe_call
from grader.remote_object import RemoteObject
from grader.untrusted_text import from_worker
from grader.wire import protocol
from grader.wire.protocol import ObjectRef
from grader.wire.vocabulary import ErrorKind, Op
from grader.worker_client import SubmissionWorkers

MEMORY_MESSAGE = "memory limit of {mib} MiB exceeded while running {call}"


@dataclass
class Reply:
    """What one call into student code gave back, as plain data."""

    call: str
    value: Any
    modified_inputs: list[str] = field(default_factory=list)
    forbidden_calls: list[str] = field(default_factory=list)
    seconds: float = 0.0
    forbidden_advice: str = ""
    """What the assignment tells a student who called a forbidden helper to do instead."""
    modified_self: list[str] = field(default_factory=list)
    """For a method: what it changed of its object's tensors (``self.weights[0]'s values
    changed``), apart from its inputs, since a method may be meant to change its object."""


class StudentProxy:
    """Calls into the submission through its worker, with a per-call time limit."""

    def __init__(
        self,
        workers: SubmissionWorkers,
        *,
        question: str,
        call_seconds: float,
        memory_mib: int,
        forbidden_advice: str = "",
        seed: int | None = None,
    ) -> None:
        self._workers = workers
        self._seed = seed  # the global generators', sent with the test's first request
        self._forbidden_advice = forbidden_advice
        self._question = question
        self.call_seconds = call_seconds
        self._memory_mib = memory_mib
        self._fresh = True  # the first request of a test clears the last test's objects

    def __getattr__(self, function: str) -> Any:
        if function.startswith("_"):
            raise AttributeError(function)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self.call(function, *args, **kwargs)

        return call

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        """Run the student's `function` on copies of the arguments: a Reply, or the object a
        class of theirs made (a RemoteObject, its Reply as `.reply`)."""
        message: dict[str, Any] = {"op": Op.CALL, "function": function}
        reply = self._send(message, describe_call(function, args, kwargs), args, kwargs)
        return reply.value if isinstance(reply.value, RemoteObject) else reply

    def _method(self, ref: ObjectRef, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Reply:
        message: dict[str, Any] = {"op": Op.CALL, "object": ref._handle, "function": name}
        return self._send(message, describe_call(f"{ref._type_name}.{name}", args, kwargs), args, kwargs)

    def _attribute(self, ref: ObjectRef, name: str) -> Any:
        message: dict[str, Any] = {"op": Op.GET, "object": ref._handle, "name": name}
        return self._send(message, f"{ref._type_name}.{name}", (), {}).value

    def _remote(self, value: Any, reply: Reply) -> Any:
        """An object reference in a reply, made drivable; anything else as it is."""
        if not isinstance(value, ObjectRef) or isinstance(value, RemoteObject):
            return value
        return RemoteObject(
            value,
            lambda name: self._attribute(value, name),
            lambda name, args, kwargs: self._method(value, name, args, kwargs),
            reply=reply,
        )

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Reply:
        """Run the trusted probe `name` against the student's module, beside it."""
        message: dict[str, Any] = {"op": Op.PROBE, "probe": name}
        return self._send(message, describe_call(name, args, kwargs), args, kwargs)

    def _send(
        self, message: dict[str, Any], call: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Reply:
        blobs: list[protocol.Blob] = []
        message["args"] = protocol.encode_value(list(args), blobs=blobs)
        message["kwargs"] = protocol.encode_value(dict(kwargs), blobs=blobs)
        message[protocol.BLOBS] = blobs
        if self._fresh and self._seed is not None:
            message["seed"] = self._seed
        message["fresh"], self._fresh = self._fresh, False
        raw = self._workers.request(message, self.call_seconds, f"running {call}", self._question)
        return self._read_reply(raw, call)

    def _read_reply(self, raw: dict[str, Any], call: str) -> Reply:
        if raw.get("ok") is True:
            try:
                value = protocol.decode_reply_value(raw.get("value"), raw.get(protocol.BLOBS))
            except protocol.ProtocolError as exc:
                raise problems.InvalidReply(f"{call} gave back an unreadable value: {exc}") from None
            reply = Reply(
                call,
                value,
                _strings(raw.get("modified")),
                _strings(raw.get("forbidden")),
                _number(raw.get("seconds")),
                self._forbidden_advice,
            )
            reply.modified_self = _strings(raw.get("modified_self"))
            reply.value = self._remote(value, reply)
            return reply
        raise self._problem(raw.get("error"), call)

    def _problem(self, error: Any, call: str) -> problems.StudentProblem:
        """The worker's description of a failure, every string in it bounded first."""
        error = error if isinstance(error, dict) else {}
        kind = error.get("kind")
        message = from_worker(error.get("message"), untrusted_text.MESSAGE)
        traceback = from_worker(error.get("traceback"), untrusted_text.TRACEBACK)
        function = from_worker(error.get("function"), untrusted_text.NAME) or call.split("(")[0]
        if kind == ErrorKind.NOT_IMPLEMENTED:
            return problems.NotAttempted(f"{function} still raises NotImplementedError")
        if kind == ErrorKind.MISSING:
            return problems.NotAttempted(f"the submission defines no function named {function}")
        if kind == ErrorKind.MEMORY:
            return problems.MemoryLimitExceeded(MEMORY_MESSAGE.format(mib=self._memory_mib, call=call))
        if kind == ErrorKind.EXIT:
            return problems.StudentRaised(f"{call} called sys.exit({message})", traceback=traceback)
        if kind == ErrorKind.UNSENDABLE:
            return problems.StudentRaised(f"{call} returned a value the grader cannot read: {message}")
        kind_type = from_worker(error.get("type"), untrusted_text.NAME) or "Exception"
        return problems.StudentRaised(f"{call} raised {kind_type}: {message}", traceback=traceback)


def _strings(value: Any) -> list[str]:
    return untrusted_text.strings_from_worker(value)


def _number(value: Any) -> float:
    """A non-negative finite number from a reply, else 0 (JSON lets a worker send NaN)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    number = float(value) if abs(value) < 1e300 else math.inf
    return number if math.isfinite(number) and number >= 0 else 0.0
