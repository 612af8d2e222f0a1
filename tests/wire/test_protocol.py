"""The wire format: values round-trip, and what a worker sends is data, never code."""

from __future__ import annotations

import io
import json

import pytest
import torch

from grader.wire import protocol
from grader.wire.vocabulary import Op


def roundtrip(value):
    return protocol.decode_reply_value(json.loads(json.dumps(protocol.encode_value(value))))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool])
def test_tensors_round_trip_bit_for_bit(dtype):
    t = (torch.randn(3, 4) * 10).to(dtype)
    back = roundtrip(t)
    assert back.dtype == dtype and back.shape == t.shape and torch.equal(back, t)


def test_structures_scalars_and_special_floats_round_trip():
    value = (torch.tensor(2.0), [1, 2.5, None, "x"], {"k": (True,)}, float("nan"), torch.empty(0, 3))
    back = roundtrip(value)
    assert isinstance(back, tuple) and back[1] == [1, 2.5, None, "x"] and back[2] == {"k": (True,)}
    assert back[3] != back[3] and back[4].shape == (0, 3) and float(back[0]) == 2.0


def test_a_non_contiguous_or_grad_requiring_tensor_is_sent_as_plain_values():
    t = torch.arange(6.0).reshape(2, 3).T.requires_grad_(True)
    back = roundtrip(t * 2)
    assert torch.equal(back, (t * 2).detach()) and not back.requires_grad


@pytest.mark.parametrize(
    "payload",
    [
        {"$tensor": {"dtype": "float32", "shape": [3], "data": "AAAA"}},  # wrong size
        {"$tensor": {"dtype": "object", "shape": [1], "data": "AAAAAA=="}},  # not a dtype
        {"$tensor": {"dtype": "float32", "shape": [-1], "data": ""}},  # bad shape
        {"$fn": "os.system", "args": ["touch /tmp/pwned"]},  # code, in a reply
        {"$generator": 1},
        {"$pickle": "gASV"},
        {"a": 1, "b": 2},
    ],
)
def test_replies_that_are_not_data_are_refused(payload):
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_reply_value(payload)


def test_objects_that_are_not_data_cannot_be_sent():
    class Payload:
        def __reduce__(self):
            return (print, ("unpickled",))

    with pytest.raises(protocol.ProtocolError, match="cannot be graded"):
        protocol.encode_value(Payload())


def test_frames_are_length_prefixed_and_bounded():
    stream = io.BytesIO()
    protocol.write_frame(stream, {"op": Op.CALL, "args": [1]})
    protocol.write_frame(stream, {"op": Op.END})
    stream.seek(0)
    assert protocol.read_frame(stream) == {"op": Op.CALL, "args": [1], "$blobs": []}
    assert protocol.read_frame(stream) == {"op": Op.END, "$blobs": []}
    assert protocol.read_frame(stream) is None
    huge = io.BytesIO(protocol.FRAME_HEADER.pack(protocol.MAX_FRAME_BYTES + 1, 0))
    with pytest.raises(protocol.ProtocolError, match="exceeds"):
        protocol.read_frame(huge)
    with pytest.raises(protocol.ProtocolError):
        protocol.read_frame(io.BytesIO(protocol.FRAME_HEADER.pack(5, 0) + b"[1,2"))


def test_tensors_travel_as_raw_bytes_after_the_json():
    value = (torch.randn(1000, dtype=torch.float64), torch.arange(3))
    blobs: list[bytes] = []
    stream = io.BytesIO()
    protocol.write_frame(stream, {"value": protocol.encode_value(value, blobs=blobs), protocol.BLOBS: blobs})
    assert len(stream.getvalue()) < 8000 + 24 + 500  # no base64 inflation
    stream.seek(0)
    message = protocol.read_frame(stream)
    back = protocol.decode_reply_value(message["value"], message[protocol.BLOBS])
    assert torch.equal(back[0], value[0]) and torch.equal(back[1], value[1])


@pytest.mark.parametrize("blob", [1, -1, True, "0"])
def test_a_tensor_pointing_at_missing_bytes_is_refused(blob):
    payload = {"$tensor": {"dtype": "float32", "shape": [1], "blob": blob}}
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_reply_value(payload, [b"\0\0\0\0"])


def test_a_frame_whose_blobs_exceed_the_limit_is_refused():
    frame = protocol.FRAME_HEADER.pack(2, 1) + b"{}" + protocol.BLOB_HEADER.pack(protocol.MAX_FRAME_BYTES)
    with pytest.raises(protocol.ProtocolError, match="size limit"):
        protocol.read_frame(io.BytesIO(frame))


def _frame_reader(message: dict, blobs: list[bytearray]):
    """A frame's header and a reader over it, with no second copy of its blobs."""
    payload = json.dumps(message).encode()
    parts = [payload]
    for blob in blobs:
        parts += [protocol.BLOB_HEADER.pack(len(blob)), blob]

    def read(size):
        part = parts.pop(0)
        assert len(part) == size
        return part

    return protocol.FRAME_HEADER.pack(len(payload), len(blobs)), read


def test_a_blob_named_by_many_tensors_is_refused_without_copying_it():
    """What refusing costs beside decoding: benchmarks/blob_refusal.py."""
    import tracemalloc

    size = 128 * 1024 * 1024
    tensor = {"$tensor": {"dtype": "uint8", "shape": [size], "blob": 0}}
    header, read = _frame_reader({"value": [tensor] * 14}, [bytearray(size)])
    tracemalloc.start()
    try:
        message = protocol.read_frame_after_header(header, read)
        with pytest.raises(protocol.ProtocolError, match="same bytes"):
            protocol.decode_reply_value(message["value"], message[protocol.BLOBS])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < size // 2


def test_each_blob_backs_one_tensor_without_a_copy():
    blobs = [bytearray(b"\1\0\0\0"), bytearray(b"\2\0\0\0")]
    value = [{"$tensor": {"dtype": "int32", "shape": [1], "blob": i}} for i in (0, 1)]
    first, second = protocol.decode_reply_value(value, blobs)
    assert first.item() == 1 and second.item() == 2
    first[0] = 7
    assert second.item() == 2


@pytest.mark.parametrize(
    "shape",
    [
        [2**32, 2**32],  # overflows int64 once multiplied
        [2**62, 2**62, 0],  # empty, but no tensor library takes it
        [2**40],  # larger than any frame
        [1] * (protocol.MAX_DIMS + 1),  # too many dimensions
        [-1],
        [True],
        [1.0],
        ["1"],
        [None],
        [[1]],
        "12",
        {"0": 1},
    ],
)
@pytest.mark.parametrize("form", ["blob", "data"])
def test_an_impossible_shape_is_a_protocol_error(shape, form):
    body = {"dtype": "float32", "shape": shape}
    body.update({"blob": 0} if form == "blob" else {"data": ""})
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_reply_value({"$tensor": body}, [bytearray()])


@pytest.mark.parametrize(
    "dtype", ["Tensor", "float", "__class__", "FloatTensor", " float32", "FLOAT32", ["float32"], None]
)
def test_only_the_listed_dtype_names_are_taken(dtype):
    body = {"dtype": dtype, "shape": [1], "data": "AAAAAA=="}
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_reply_value({"$tensor": body})


def test_an_overflowing_shape_from_a_worker_is_the_students_invalid_reply():
    from grader import problems
    from grader.student import StudentProxy

    proxy = StudentProxy(None, question="q", call_seconds=1.0, memory_mib=64)
    raw = {
        "ok": True,
        "value": {"$tensor": {"dtype": "float32", "shape": [2**32, 2**32, 0], "blob": 0}},
        protocol.BLOBS: [bytearray()],
    }
    with pytest.raises(problems.InvalidReply):
        proxy._read_reply(raw, "f(x)")


@pytest.mark.parametrize(
    "payload",
    [
        b'{"value": ' + b"1" * 5000 + b"}",  # an int Python will not parse
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the parser's stack
        b'{"a": "\xff"}',  # not UTF-8
    ],
)
def test_a_payload_the_parser_refuses_is_a_protocol_error(payload):
    frame = protocol.FRAME_HEADER.pack(len(payload), 0) + payload
    with pytest.raises(protocol.ProtocolError):
        protocol.read_frame(io.BytesIO(frame))


def test_base64_that_is_not_is_a_protocol_error():
    with pytest.raises(protocol.ProtocolError):
        protocol.decode_reply_value({"$tensor": {"dtype": "float32", "shape": [1], "data": "A"}})
