"""The protocol's words are, on the wire, byte for byte the literals they name: a frame, a
record or an exit status written with them reads the same to either side of the boundary."""

from __future__ import annotations

import io

from grader.wire import protocol
from grader.wire.vocabulary import ErrorKind, Op, RecordKind, Scope, WorkerExit


def test_each_word_is_its_wire_value():
    assert {word.name: word.value for word in Op} == {
        "SUBMISSION": "submission",
        "LOAD": "load",
        "CALL": "call",
        "PROBE": "probe",
        "GET": "get",
        "END": "end",
        "END_SUBMISSION": "end-submission",
        "SETUP": "setup",
        "EXITED": "exited",
    }
    assert {word.value for word in Scope} == {"question", "submission"}
    assert {word.value for word in ErrorKind} == {
        "raised",
        "not_implemented",
        "missing",
        "memory",
        "exit",
        "unsendable",
        "protocol",
    }
    assert {word.name: word.value for word in RecordKind} == {
        "TAMPERING": b"T",
        "FORBIDDEN": b"F",
        "HEARTBEAT": b"H",
    }
    assert {word.name: word.value for word in WorkerExit} == {
        "FAILED": 70,
        "FORKED": 71,
        "ORPHANED": 72,
        "TAMPERED": 86,
    }


def test_a_frame_written_with_words_is_the_frame_written_with_literals():
    words = {
        "op": Op.EXITED,
        "scope": Scope.QUESTION,
        "exit_code": WorkerExit.TAMPERED,
        "error": {"kind": ErrorKind.NOT_IMPLEMENTED},
    }
    literals = {"op": "exited", "scope": "question", "exit_code": 86, "error": {"kind": "not_implemented"}}
    written, expected = io.BytesIO(), io.BytesIO()
    protocol.write_frame(written, words)
    protocol.write_frame(expected, literals)
    assert written.getvalue() == expected.getvalue()
    written.seek(0)
    read = protocol.read_frame(written)
    assert read is not None and Op(read["op"]) is Op.EXITED and read["exit_code"] == WorkerExit.TAMPERED


def test_a_record_kind_is_its_byte():
    record = b"\n" + RecordKind.HEARTBEAT + b"nonce\n"
    assert type(record) is bytes and record == b"\nHnonce\n"
    assert bytearray(b"F")[:1] == RecordKind.FORBIDDEN  # as the relay reads a record's kind
