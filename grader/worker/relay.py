"""The relay between the zygote's channel and one question process.

The submission's process (PID 1 of its namespace in the sandbox) never runs student code. For
each question it forks a question process with four pipes of its own (requests in; replies,
output and records out) and holds the zygote's channel itself, so student code can write
only to its own question's pipes. Every frame the question sends is passed on under the
relay's control: its `op` is removed (only the relay says `exited`), and the fields that
carry verdicts (`forbidden`, `tampering`) and the output are the relay's own, read from
pipes the question cannot take back.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from grader.wire import pipes, protocol
from grader.wire.protocol import FrameSink, FrameSource
from grader.wire.vocabulary import ErrorKind, Op, RecordKind, Scope, WorkerExit

MAX_REPLY_JSON = 16 * 1024 * 1024
"""A reply's JSON part (its tensors travel as blobs); more is an invalid reply."""
OUTPUT_KEEP = 16 * 1024
RECORD_LINE = 4096
MAX_RECORDS = 64
CHUNK = 1 << 20
SIDE_PIPES = ("output", "records")
RELAY_FIELDS = ("op", "forbidden", "tampering", "output", protocol.BLOBS)


@dataclass(frozen=True)
class QuestionPipes:
    """The question process's ends of its four pipes, and the nonce of its heartbeats."""

    requests: int
    replies: int
    output: int
    records: int
    nonce: bytes


class InvalidQuestionReply(Exception):
    """The question process broke the frame protocol: the relay ends it."""


@dataclass
class _Gathered:
    """Output and records read from a question since its last reply."""

    output: bytearray = field(default_factory=bytearray)
    dropped: int = 0
    forbidden: list[str] = field(default_factory=list)
    heartbeat: bool = False
    partial: bytearray = field(default_factory=bytearray)

    def take_output(self) -> str:
        text = self.output.decode("utf-8", "replace")
        if self.dropped:
            text += f"\n... [{self.dropped} more bytes of output left out] ..."
        self.output, self.dropped = bytearray(), 0
        return text


class QuestionRelay:
    """One question process, started with `start`, ended with `end` (or by dying)."""

    def __init__(self, replies: FrameSink, *, reap_all: bool, portable_pipes: bool = False) -> None:
        self._upstream = replies
        self._reap_all = reap_all
        self._portable_pipes = portable_pipes
        """Polled pipes (see grader.wire.pipes): Windows', or on POSIX to test them; the
        fork mode, POSIX only, waits with select."""
        self._pid = 0
        self._fds: dict[str, int] = {}
        self._pipes: pipes.PipeSet | None = None
        self._gathered = _Gathered()
        self._tampering: list[str] = []
        self._nonce = b""
        self._open: set[str] = set()
        self._prepared: _Forked | None = None

    @property
    def running(self) -> bool:
        return self._pid != 0

    def start(self, serve: Callable[[QuestionPipes], NoReturn]) -> None:
        """Fork the question process; it runs `serve` with its ends of the pipes."""
        self._take(_fork(serve))

    def prepare_next(self, serving: Callable[[], Callable[[QuestionPipes], NoReturn]]) -> None:
        """Fork the next question's process now, to arm itself and wait for its `load`;
        `serving()` gives what it runs, and is asked only when one is forked.

        Forking and arming a question (its witnesses, its audit hook: page faults, mostly)
        take about 30 ms, which the grader would otherwise wait for at every question. The
        prepared process runs no student code until it is sent a `load`.
        """
        if self._prepared is None:
            self._prepared = _fork(serving())

    @property
    def prepares_beside_questions(self) -> bool:
        """Whether the next question may be prepared while one runs.

        Not in the sandbox: there a question's end kills every other process of the
        namespace (its leftovers, and a prepared process with them), so the next one is
        prepared after that. Elsewhere a question's leftovers outlive it anyway, so a
        prepared process beside it meets nothing a later question does not meet already;
        and it cannot be read or traced, being as undumpable as the zygote it came from.
        Its arming (about 30 ms of CPU) is counted with the running question's time.
        """
        return not self._reap_all

    def start_prepared(self, load: dict[str, Any]) -> bool:
        """Make the prepared process this relay's question and send it its `load`; False if
        there is none, or it is gone (a leftover of the last question may have killed it)."""
        prepared, self._prepared = self._prepared, None
        if prepared is None:
            return False
        if _ended(prepared.pid):
            prepared.close()
            return False
        self._take(prepared)
        self.forward(load)
        return True

    def discard_prepared(self) -> None:
        """Kill the prepared process, if any (the submission ends)."""
        prepared, self._prepared = self._prepared, None
        if prepared is not None:
            _stop(prepared.pid)
            prepared.close()

    def _take(self, forked: _Forked) -> None:
        self._nonce = forked.nonce
        self._adopt(forked.pid, forked.fds)

    def _adopt(self, pid: int, fds: dict[str, int]) -> None:
        """Take a started question process, and the relay's ends of its pipes, as this
        relay's question (a fork's, or a fresh interpreter's in the portable mode)."""
        self._pid = pid
        self._fds = fds
        self._gathered, self._tampering = _Gathered(), []
        self._open = {"output", "records"}
        self._pipes = pipes.open_pipes(
            {name: fds[name] for name in ("replies", "output", "records")},
            fds["requests"],
            portable=self._portable_pipes,
        )

    def forward(self, message: dict[str, Any]) -> None:
        """Send a request from the grader to the question process."""
        with contextlib.suppress(OSError):  # the question process is gone: its reply is its exit
            protocol.write_frame(_DrainingWriter(self), message)

    def pass_reply(self) -> None:
        """Pass the question's next reply on to the grader, or report that it ended."""
        try:
            self._pass_frame()
        except (EOFError, OSError):
            self.end(invalid="")
        except InvalidQuestionReply as exc:
            self.end(invalid=str(exc))
        except (protocol.ProtocolError, ValueError, RecursionError) as exc:
            self.end(invalid=f"an unreadable reply ({type(exc).__name__})")

    def end(self, invalid: str | None = None, *, report: bool = True) -> None:
        """End the question process and everything it started; tell the grader how it ended."""
        if not self._pid:
            return
        code = self._stop_question()
        if self._reap_all:
            kill_leftovers()
            if self._prepared is not None:  # killed and reaped with the leftovers
                self._prepared.close()
                self._prepared = None
        self._drain_until_closed()
        self._io.close()
        for fd in self._fds.values():
            os.close(fd)
        self._pid, self._fds, self._pipes = 0, {}, None
        if code == WorkerExit.TAMPERED:
            self._note_tampering("the record channel was closed or replaced")
        frame: dict[str, Any] = {
            "op": Op.EXITED,
            "scope": Scope.QUESTION,
            "exit_code": code,
            "output": self._gathered.take_output(),
            "tampering": self._tampering,
        }
        if invalid:
            frame["invalid"] = invalid[:500]
        if report:
            protocol.write_frame(self._upstream, frame)

    def _stop_question(self) -> int:
        """Kill the question process (a forked child of this one); its exit code."""
        return os.waitstatus_to_exitcode(_stop(self._pid))

    @property
    def _io(self) -> pipes.PipeSet:
        assert self._pipes is not None, "no question is running"
        return self._pipes

    # --- reading the question's reply -----------------------------------------------------

    def _pass_frame(self) -> None:
        """Read one whole frame (the protocol's own limits apply), then send it on rewritten."""
        header = self._read_exactly(protocol.FRAME_HEADER.size)
        length, count = protocol.FRAME_HEADER.unpack(header)
        if length > MAX_REPLY_JSON:
            raise InvalidQuestionReply(f"a reply of {length} bytes and {count} tensors")
        message = protocol.read_frame_after_header(header, self._read_exactly)
        self._drain()
        self._send_upstream(message)

    def _send_upstream(self, message: dict[str, Any]) -> None:
        """The question's frame with the relay's own fields: its `op`, verdicts and output are
        replaced by what the relay saw, its tensors kept."""
        gathered = self._gathered
        if not gathered.heartbeat:
            self._note_tampering("a reply came without the worker's heartbeat")
        blobs = message.get(protocol.BLOBS, [])
        for key in RELAY_FIELDS:
            message.pop(key, None)
        message.update(
            forbidden=gathered.forbidden[:MAX_RECORDS],
            tampering=self._tampering,
            output=gathered.take_output(),
        )
        message[protocol.BLOBS] = blobs
        gathered.forbidden, gathered.heartbeat = [], False
        protocol.write_frame(self._upstream, message)

    def _read_exactly(self, size: int) -> bytearray:
        data = bytearray(size)
        view, filled, readinto = memoryview(data), 0, self._io.readinto
        while filled < size:
            if "replies" in self._wait_readable():
                count = readinto("replies", view[filled:])
                if count == 0:
                    raise EOFError
                filled += count
        return data

    def _wait_readable(self) -> set[str]:
        ready, _ = self._io.wait(("replies", *self._side_pipes()))
        if len(ready) > ("replies" in ready):
            self._drain()
        return ready

    def _side_pipes(self) -> list[str]:
        """The output and record pipes not yet closed by every writer."""
        return [name for name in SIDE_PIPES if name in self._open]

    def _write_all(self, data: bytes | bytearray | memoryview) -> None:
        view, sent, io = memoryview(data).cast("B"), 0, self._io
        while sent < len(view):
            readable, writable = io.wait(self._side_pipes(), write=True)
            if readable:
                self._drain()
            if writable:
                sent += io.write(view[sent : sent + CHUNK])

    # --- output and records ---------------------------------------------------------------

    def _drain(self) -> bool:
        """Read whatever output and records are waiting; True once both pipes are closed."""
        read = self._io.read
        for name in list(self._open):
            while True:
                try:
                    chunk = read(name, 65536)
                except BlockingIOError:
                    break
                if not chunk:
                    self._open.discard(name)
                    break
                (self._keep_output if name == "output" else self._parse_records)(chunk)
        return not self._open

    def _drain_until_closed(self, seconds: float = 1.0) -> None:
        """After the question ended: everything it wrote, until its pipes close (or a moment
        passes, when a process outside the sandbox's reach still holds them)."""
        deadline = time.monotonic() + seconds
        while not self._drain():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._io.wait(self._side_pipes(), timeout=left)

    def _keep_output(self, chunk: bytes) -> None:
        gathered = self._gathered
        room = OUTPUT_KEEP - len(gathered.output)
        gathered.output += chunk[: max(room, 0)]
        gathered.dropped += max(len(chunk) - max(room, 0), 0)

    def _parse_records(self, chunk: bytes) -> None:
        gathered = self._gathered
        gathered.partial += chunk
        *lines, rest = gathered.partial.split(b"\n")
        gathered.partial = rest[:RECORD_LINE]
        for line in lines:
            if not line:
                continue  # every record starts on a line of its own
            kind, text = bytes(line[:1]), line[1:RECORD_LINE].decode("utf-8", "replace")
            if kind == RecordKind.HEARTBEAT and text == self._nonce.decode():
                gathered.heartbeat = True
            elif kind == RecordKind.FORBIDDEN and text:
                if text[:200] not in gathered.forbidden:
                    gathered.forbidden.append(text[:200])
            elif kind == RecordKind.TAMPERING:
                self._note_tampering(text)
            else:
                self._note_tampering("a forged record was written to the record channel")

    def _note_tampering(self, reason: str) -> None:
        if len(self._tampering) < MAX_RECORDS and reason[:500] not in self._tampering:
            self._tampering.append(reason[:500])


@dataclass
class _Forked:
    """A forked question process and the relay's ends of its four pipes."""

    pid: int
    fds: dict[str, int]
    nonce: bytes

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)


def _fork(serve: Callable[[QuestionPipes], NoReturn]) -> _Forked:
    """Fork a question process that runs `serve` with its ends of four new pipes."""
    requests, replies, output, records = os.pipe(), os.pipe(), os.pipe(), os.pipe()
    nonce = os.urandom(16).hex().encode()
    pid = fork_waiting_for_slots()
    if pid == 0:
        for fd in (requests[1], replies[0], output[0], records[0]):
            os.close(fd)
        serve(QuestionPipes(requests[0], replies[1], output[1], records[1], nonce))
    for fd in (requests[0], replies[1], output[1], records[1]):
        os.close(fd)
    fds = {"requests": requests[1], "replies": replies[0], "output": output[0], "records": records[0]}
    return _Forked(pid, fds, nonce)


class _DrainingWriter:
    """The question's request pipe as a stream for protocol.write_frame: each write waits for
    the pipe while draining the question's output and records, so neither side blocks."""

    def __init__(self, relay: QuestionRelay) -> None:
        self.write = relay._write_all

    def flush(self) -> None:
        pass


def protocol_error(message: str) -> dict[str, Any]:
    """A reply for a request that makes no sense where it came (the grader's mistake)."""
    return {"ok": False, "error": {"kind": ErrorKind.PROTOCOL, "type": "ProtocolError", "message": message}}


def relay_questions(
    requests: FrameSource,
    replies: FrameSink,
    relay: QuestionRelay,
    start: Callable[[dict[str, Any]], None],
    prepare: Callable[[], None] | None = None,
) -> None:
    """One question process per `load`, each request passed on and its reply relayed, until
    `end-submission`: the loop of a submission's process in both worker modes. `start(load)`
    starts the question process; `prepare()`, if given, readies the next one: once a
    question has ended, and where the relay allows it already once a question is loaded."""
    while (request := protocol.read_frame(requests)) is not None:
        op = request.get("op")
        if op == Op.END_SUBMISSION:
            relay.end()
            return
        if op == Op.END:
            if relay.running:
                relay.end()
            else:
                protocol.write_frame(replies, {"op": Op.EXITED, "scope": Scope.QUESTION, "exit_code": 0})
            if prepare is not None:
                prepare()
            continue
        if op == Op.LOAD:
            relay.end(report=False)  # the grader ends each question first; just in case
            start(request)
            relay.pass_reply()
            if prepare is not None and relay.prepares_beside_questions:
                prepare()
            continue
        if relay.running:
            relay.forward(request)
        else:
            protocol.write_frame(replies, protocol_error("no module loaded"))
            continue
        relay.pass_reply()


def fork_waiting_for_slots() -> int:
    """Fork, waiting briefly for killed leftovers to free their process slots."""
    for _ in range(100):
        try:
            return os.fork()
        except BlockingIOError:
            time.sleep(0.05)
    return os.fork()


def _ended(pid: int) -> bool:
    """Whether a child has ended (and is now reaped)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done != 0


def _stop(pid: int) -> int:
    """Kill a question process and return its wait status (its own, if it had already ended)."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _, status = os.waitpid(pid, 0)
    return status


def kill_leftovers() -> None:
    """Kill whatever the question left running (daemons, fork bombs).

    Only inside the sandbox: there the submission's process is PID 1 of a namespace of its
    own, so kill(-1) reaches exactly the processes its questions started.
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(-1, signal.SIGKILL)
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG) == (0, 0):
                break
        except ChildProcessError:
            break
