"""The wire format: values round-trip, and what a worker sends is data, never code."""

from __future__ import annotations

import io
import json

import pytest
import torch

from grader.wire import protocol


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


@pytest.mark.parametrize("payload", [
    {"$tensor": {"dtype": "float32", "shape": [3], "data": "AAAA"}},          # wrong size
    {"$tensor": {"dtype": "object", "shape": [1], "data": "AAAAAA=="}},       # not a dtype
    {"$tensor": {"dtype": "float32", "shape": [-1], "data": ""}},             # bad shape
    {"$fn": "os.system", "args": ["touch /tmp/pwned"]},                        # code, in a reply
    {"$generator": 1},
    {"$pickle": "gASV"},
    {"a": 1, "b": 2},
])
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
    protocol.write_frame(stream, {"op": "call", "args": [1]})
    protocol.write_frame(stream, {"op": "end"})
    stream.seek(0)
    assert protocol.read_frame(stream) == {"op": "call", "args": [1], "$blobs": []}
    assert protocol.read_frame(stream) == {"op": "end", "$blobs": []}
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
    protocol.write_frame(stream, {"value": protocol.encode_value(value, blobs=blobs),
                                  protocol.BLOBS: blobs})
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
    frame = protocol.FRAME_HEADER.pack(2, 1) + b"{}" + protocol.BLOB_HEADER.pack(
        protocol.MAX_FRAME_BYTES)
    with pytest.raises(protocol.ProtocolError, match="size limit"):
        protocol.read_frame(io.BytesIO(frame))
