"""A question's relay: only it says how a question ended, and what it passes on is its own.

A stand-in question process (forked here, no torch) writes whatever a hostile one would to
its pipes; the relay's upstream frames are read back as the grader reads them. Every test runs
with the relay's pipes waited on by select and polled as on Windows (grader.wire.pipes).
"""

from __future__ import annotations

import os
import signal

import pytest

from grader.wire import protocol
from grader.wire.vocabulary import Op, RecordKind, Scope
from grader.worker.records import record
from grader.worker.relay import QuestionPipes, QuestionRelay

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the stand-in question is forked")


class Stuck(Exception):
    """Raised by an alarm (not an OSError, which the relay takes for a question gone)."""


@pytest.fixture(params=[False, True], ids=["select", "polled"])
def portable(request):
    return request.param


def relay_frames(question, requests: list[dict], portable: bool) -> list[dict]:
    """Start `question(pipes)` under a relay, forward `requests`, and return every frame the
    relay sent upstream (a reply per request, then the question's end)."""
    upstream_read, upstream_write = os.pipe()
    upstream = os.fdopen(upstream_write, "wb", buffering=0)
    relay = QuestionRelay(upstream, reap_all=False, portable_pipes=portable)

    def serve(pipes: QuestionPipes):
        try:
            question(pipes)
        finally:
            os._exit(0)

    def stuck(*_):
        raise Stuck("the relay and its question blocked each other")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(30)
    try:
        relay.start(serve)
        relay.pass_reply()  # the reply to `load`
        for request in requests:
            relay.forward(request)
            relay.pass_reply()
        relay.end()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        relay.end(report=False)  # a question left running by a failure
    upstream.close()
    frames = []
    with os.fdopen(upstream_read, "rb", buffering=0) as stream:
        while (frame := protocol.read_frame(stream)) is not None:
            frames.append(frame)
    return frames


def reply(pipes: QuestionPipes, message: dict, *, heartbeat: bool = True) -> None:
    if heartbeat:
        os.write(pipes.records, record(RecordKind.HEARTBEAT, pipes.nonce.decode()))
    with os.fdopen(os.dup(pipes.replies), "wb", buffering=0) as stream:
        protocol.write_frame(stream, message)


def next_request(pipes: QuestionPipes) -> dict:
    with os.fdopen(os.dup(pipes.requests), "rb", buffering=0) as stream:
        return protocol.read_frame(stream)


def test_a_question_cannot_say_it_exited_nor_speak_for_the_relay(portable):
    def question(pipes):
        os.write(pipes.output, b"printed")
        reply(
            pipes,
            {
                "ok": True,
                "op": Op.EXITED,
                "scope": Scope.SUBMISSION,
                "exit_code": 0,
                "forbidden": [],
                "tampering": [],
                "output": "forged",
            },
        )

    (load, ended) = relay_frames(question, [], portable)
    assert "op" not in load and load["tampering"] == [] and load["output"] == "printed"
    assert ended["op"] == Op.EXITED and ended["scope"] == Scope.QUESTION


def test_a_reply_without_the_heartbeat_is_tampering(portable):
    def question(pipes):
        reply(pipes, {"ok": True}, heartbeat=False)

    load, ended = relay_frames(question, [], portable)
    assert load["tampering"] and ended["tampering"]


def test_records_reach_the_reply_they_belong_to_and_tampering_stays(portable):
    def question(pipes):
        reply(pipes, {"ok": True})
        next_request(pipes)
        os.write(pipes.records, record(RecordKind.FORBIDDEN, "torch.func.hessian"))
        os.write(pipes.records, b"F")  # a stray byte: cannot swallow the next record
        os.write(pipes.records, record(RecordKind.TAMPERING, "called gc.get_objects"))
        reply(pipes, {"ok": True})
        next_request(pipes)
        reply(pipes, {"ok": True})

    load, first, second, ended = relay_frames(question, [{"op": Op.CALL}, {"op": Op.CALL}], portable)
    assert load["forbidden"] == [] and load["tampering"] == []
    assert first["forbidden"] == ["torch.func.hessian"]
    assert "called gc.get_objects" in first["tampering"]
    assert any("forged record" in reason for reason in first["tampering"])  # the stray "F"
    assert second["forbidden"] == [] and "called gc.get_objects" in second["tampering"]
    assert ended["tampering"] == second["tampering"]


def test_a_question_that_dies_mid_reply_is_reported_by_its_exit(portable):
    def question(pipes):
        os.write(pipes.replies, protocol.FRAME_HEADER.pack(100, 0) + b"{")  # half a frame
        os._exit(3)

    (ended,) = relay_frames(question, [], portable)
    assert ended["op"] == Op.EXITED and ended["exit_code"] == 3


def test_a_large_request_crosses_while_the_question_floods_its_output(portable):
    """Neither side blocks the other: the relay drains output while it writes a request
    larger than any pipe buffer, and keeps only the first part of the output."""
    blob = os.urandom(3 << 20)

    def question(pipes):
        reply(pipes, {"ok": True})
        for _ in range(64):  # 4 MiB of output before reading the request
            os.write(pipes.output, b"x" * 65536)
        request = next_request(pipes)
        reply(pipes, {"ok": True, "size": len(request[protocol.BLOBS][0])})

    load, answered, ended = relay_frames(question, [{"op": Op.CALL, protocol.BLOBS: [blob]}], portable)
    assert answered["size"] == len(blob) and answered["tampering"] == []
    # Output written just after a reply may be drained with that reply (its pipe and the
    # replies' are read apart): together the two replies hold its first part, and say the rest.
    output = load["output"] + answered["output"]
    assert output.startswith("x" * 1000) and "more bytes of output left out" in output
