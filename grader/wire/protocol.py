"""The wire format between the trusted grader and the student worker.

Messages are length-prefixed JSON frames, each followed by the raw bytes ("blobs") of the
tensors it carries. Values are plain data with a few tagged forms: ``{"$tensor": {...}}``
(dtype + shape + a blob index, or base64 bytes in files such as expected.json),
``{"$tuple": [...]}``, ``{"$object": {"id": n, "type": name}}`` (an object that stays where it
was made, by handle) and ``{"$method": name}``, and, on requests only, ``{"$fn": name, "args": [...]}`` (a test
function built from the assignment's probes) and ``{"$generator": seed}``. Nothing is pickled and nothing read is executed; the trusted
side decodes replies with :func:`decode_reply_value`, which accepts data only.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

FRAME_HEADER = struct.Struct(">QI")  # JSON length, number of blobs
BLOB_HEADER = struct.Struct(">Q")
Blob = bytes | bytearray | memoryview
"""A tensor's raw bytes in a frame: a view of the sender's tensor, or the receiver's buffer."""

BLOBS = "$blobs"  # the key under which a message in memory holds its blobs
MAX_FRAME_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 16
MAX_BLOBS = 100_000
MAX_DIMS = 32
TENSOR_DTYPES = (
    "float32",
    "float64",
    "float16",
    "bfloat16",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "bool",
    "complex64",
    "complex128",
)


class FrameSink(Protocol):
    """Where frames are written: a binary stream, or the relay's draining writer."""

    def write(self, data: Blob, /) -> object: ...

    def flush(self) -> object: ...


class FrameSource(Protocol):
    """Where frames are read from: a binary stream that fills a buffer."""

    def readinto(self, buffer: memoryview, /) -> int | None: ...


ReadExactly = Callable[[int], bytes | bytearray]
"""Reads exactly n bytes (fewer only at the end of its stream)."""


class ProtocolError(Exception):
    """A frame or value that does not follow the protocol (a lying or broken worker)."""


@dataclass(frozen=True)
class Fn:
    """A function argument, sent by name: each side builds it from the assignment's probes."""

    name: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Seed:
    """A ``torch.Generator`` argument, sent as its seed."""

    seed: int


class ObjectRef:
    """An object that lives on one side (a student's in their process), sent as its handle
    and its class's name; the other side holds only this reference."""

    _handle: int
    _type_name: str

    def __init__(self, handle: int, type_name: str) -> None:
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_type_name", type_name)

    def __repr__(self) -> str:
        return f"<{self._type_name} object>"


@dataclass(frozen=True)
class MethodRef:
    """What reading a callable attribute of an object gives back: its name, to call it by."""

    name: str


MAX_TYPE_NAME = 100


@dataclass
class EncodedTensor:
    """A tensor as plain data; ``to_torch`` is the only way it becomes a tensor again."""

    dtype: str
    shape: tuple[int, ...]
    data: Blob = field(repr=False)

    def to_torch(self) -> Any:
        import torch

        _check_dtype(self.dtype)
        numel = _check_shape(self.shape)
        torch_dtype = getattr(torch, self.dtype)
        if numel * torch_dtype.itemsize != len(self.data):
            raise ProtocolError(f"a tensor of shape {_short(self.shape)} has {len(self.data)} bytes")
        if numel == 0:
            return torch.empty(self.shape, dtype=torch_dtype)
        # A bytearray was read from a pipe for this tensor alone (a blob backs one tensor
        # at most): it becomes the tensor's memory. Anything else (bytes) is copied first.
        data = self.data if isinstance(self.data, bytearray) else bytearray(self.data)
        return torch.frombuffer(data, dtype=torch_dtype).reshape(self.shape)


def encode_tensor(t: Any, blobs: list[Blob] | None = None) -> dict[str, Any]:
    """A tensor as dtype + shape + bytes: appended to `blobs` if given, else base64 inline."""
    import torch

    t = t.detach()
    if t.layout != torch.strided:
        t = t.to_dense()
    t = t.cpu().contiguous()
    dtype = str(t.dtype).removeprefix("torch.")
    # A view of the tensor's own memory: a frame writes it to the pipe without a copy.
    raw = memoryview(t.reshape(-1).view(torch.uint8).numpy()) if t.numel() else memoryview(b"")
    if blobs is not None:
        blobs.append(raw)
        return {"$tensor": {"dtype": dtype, "shape": list(t.shape), "blob": len(blobs) - 1}}
    return {
        "$tensor": {"dtype": dtype, "shape": list(t.shape), "data": base64.b64encode(raw).decode("ascii")}
    }


def encode_value(value: Any, depth: int = 0, *, blobs: list[Blob] | None = None) -> Any:
    """Turn a value made of tensors, containers and scalars into JSON-ready data.

    With `blobs`, tensor bytes go there (for frames); without, inline as base64 (for files).
    """
    import torch

    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return _encode_number(value)
    if isinstance(value, torch.Tensor):
        return encode_tensor(value, blobs)
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v, depth + 1, blobs=blobs) for v in value]}
    if isinstance(value, list):
        return [encode_value(v, depth + 1, blobs=blobs) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: encode_value(v, depth + 1, blobs=blobs) for k, v in value.items()}}
    if isinstance(value, Fn):
        return {"$fn": value.name, "args": [encode_value(a, depth + 1, blobs=blobs) for a in value.args]}
    if isinstance(value, Seed):
        return {"$generator": int(value.seed)}
    if isinstance(value, ObjectRef):
        return {"$object": {"id": value._handle, "type": value._type_name}}
    if isinstance(value, MethodRef):
        return {"$method": value.name}
    raise ProtocolError(f"an object of type {type(value).__name__} cannot be graded")


def _encode_number(value: int | float) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    return value


def decode_reply_value(data: Any, blobs: list[Blob] | None = None, depth: int = 0) -> Any:
    """Decode what a worker sent: only data comes out (tensors, scalars, tuples, lists)."""
    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode_reply_value(v, blobs, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise ProtocolError("malformed value")
    ((tag, body),) = data.items()
    if tag == "$tuple" and isinstance(body, list):
        return tuple(decode_reply_value(v, blobs, depth + 1) for v in body)
    if tag == "$dict" and isinstance(body, dict):
        return {str(k): decode_reply_value(v, blobs, depth + 1) for k, v in body.items()}
    if tag == "$float" and body in ("nan", "inf", "-inf"):
        return float(body)
    if tag == "$tensor":
        return _decode_tensor(body, blobs or []).to_torch()
    if tag == "$object":
        handle, type_name = _object_body(body)
        return ObjectRef(handle, type_name)
    if tag == "$method" and _is_name(body):
        return MethodRef(body)
    raise ProtocolError(f"unexpected tag {_short(tag)}")


def _object_body(body: Any) -> tuple[int, str]:
    """An object's handle and class name, checked: a name is a short identifier."""
    if not isinstance(body, dict) or set(body) != {"id", "type"}:
        raise ProtocolError("malformed object")
    handle, type_name = body["id"], body["type"]
    if type(handle) is not int or not _is_name(type_name):
        raise ProtocolError("malformed object")
    return handle, type_name


def _is_name(value: Any) -> bool:
    return type(value) is str and len(value) <= MAX_TYPE_NAME and value.isidentifier()


def _decode_tensor(body: Any, blobs: list[Any]) -> EncodedTensor:
    """Check a tensor's description before any memory is spent on it.

    A blob backs one tensor at most (its place in `blobs` becomes None once taken), so the
    tensors of a frame never hold more bytes than the frame did.
    """
    if not isinstance(body, dict) or set(body) not in (
        {"dtype", "shape", "data"},
        {"dtype", "shape", "blob"},
    ):
        raise ProtocolError("malformed tensor")
    _check_dtype(body["dtype"])
    shape = body["shape"]
    if not isinstance(shape, list):
        raise ProtocolError("malformed tensor shape")
    _check_shape(shape)
    if "blob" in body:
        index = body["blob"]
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(blobs):
            raise ProtocolError("a tensor refers to bytes the frame does not have")
        data = blobs[index]
        if data is None:
            raise ProtocolError("two tensors refer to the same bytes")
        blobs[index] = None
        return EncodedTensor(body["dtype"], tuple(shape), data)
    if not isinstance(body["data"], str):
        raise ProtocolError("malformed tensor")
    try:
        data = base64.b64decode(body["data"], validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("a tensor's bytes are not base64") from None
    return EncodedTensor(body["dtype"], tuple(shape), data)


def _check_dtype(dtype: Any) -> None:
    if type(dtype) is not str or dtype not in TENSOR_DTYPES:
        raise ProtocolError(f"unsupported tensor dtype {_short(dtype)}")


def _check_shape(shape: Any) -> int:
    """The element count of a valid shape: at most MAX_DIMS non-negative ints (not bools)
    whose product, zeros aside, fits in a frame."""
    if len(shape) > MAX_DIMS or not all(type(d) is int and d >= 0 for d in shape):
        raise ProtocolError(f"malformed tensor shape {_short(shape)}")
    if math.prod(max(d, 1) for d in shape) > MAX_FRAME_BYTES:
        raise ProtocolError(f"a tensor shape too large for any frame: {_short(shape)}")
    return math.prod(shape)


def _short(value: Any) -> str:
    """A worker's value in an error message, bounded."""
    if isinstance(value, (list, tuple)):
        value = list(value[: MAX_DIMS + 1])
    elif isinstance(value, str):
        value = value[:80]
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def decode_request_value(
    data: Any,
    build_fn: Callable[[str, list[Any]], Any],
    blobs: list[Blob] | None = None,
    depth: int = 0,
    objects: Callable[[int], Any] | None = None,
) -> Any:
    """Decode a request in the worker, building functions and generators on this side, and
    turning an object's handle back into the object (`objects`) where one is sent."""
    import torch

    def inner(value: Any) -> Any:
        return decode_request_value(value, build_fn, blobs, depth + 1, objects)

    if isinstance(data, list):
        return [inner(v) for v in data]
    if isinstance(data, dict) and "$fn" in data:
        return build_fn(data["$fn"], [inner(a) for a in data["args"]])
    if isinstance(data, dict) and "$generator" in data:
        return torch.Generator().manual_seed(int(data["$generator"]))
    if isinstance(data, dict) and len(data) == 1:
        ((tag, body),) = data.items()
        if tag == "$tuple":
            return tuple(inner(v) for v in body)
        if tag == "$dict":
            return {k: inner(v) for k, v in body.items()}
        if tag == "$object" and objects is not None:
            return objects(_object_body(body)[0])
    return decode_reply_value(data, blobs, depth)


def write_frame(stream: FrameSink, message: dict[str, Any]) -> None:
    """Write a message; its blobs (message["$blobs"], if any) follow the JSON as raw bytes."""
    blobs = message.get(BLOBS, [])
    payload = json.dumps({k: v for k, v in message.items() if k != BLOBS}, separators=(",", ":")).encode(
        "utf-8"
    )
    stream.write(FRAME_HEADER.pack(len(payload), len(blobs)) + payload)
    for blob in blobs:
        stream.write(BLOB_HEADER.pack(len(blob)))
        stream.write(blob)
    stream.flush()


def read_frame(stream: FrameSource) -> dict[str, Any] | None:
    """Read one frame, reading no byte past it; None at a clean end of stream."""
    header = _read_exactly(stream, FRAME_HEADER.size)
    if not header:
        return None
    return read_frame_after_header(header, lambda size: _read_exactly(stream, size))


def read_frame_after_header(header: bytes | bytearray, read: ReadExactly) -> dict[str, Any]:
    """The rest of a frame, given its header and a function that reads exactly n bytes."""
    if len(header) != FRAME_HEADER.size:
        raise ProtocolError("truncated frame header")
    length, count = FRAME_HEADER.unpack(header)
    budget = MAX_FRAME_BYTES - length
    if budget < 0 or count > MAX_BLOBS:
        raise ProtocolError(f"a frame of {length} bytes and {count} blobs exceeds the limit")
    message = parse_frame_payload(_exactly(read, length))
    blobs: list[Blob] = []
    for _ in range(count):
        (size,) = BLOB_HEADER.unpack(_exactly(read, BLOB_HEADER.size))
        budget -= size
        if budget < 0:
            raise ProtocolError("a frame's tensors exceed the size limit")
        blobs.append(_exactly(read, size))
    message[BLOBS] = blobs
    return message


def _exactly(read: ReadExactly, size: int) -> bytes | bytearray:
    data = read(size)
    if len(data) != size:
        raise ProtocolError("truncated frame")
    return data


def _read_exactly(stream: FrameSource, size: int) -> bytearray:
    return fill_buffer(size, stream.readinto)


def fill_buffer(size: int, readinto: Callable[[memoryview], int | None]) -> bytearray:
    """Read `size` bytes into one new buffer, copied once (a tensor's memory, once decoded);
    fewer only if `readinto` reaches the end of its stream."""
    buffer = bytearray(size)
    view, filled = memoryview(buffer), 0
    while filled < size:
        count = readinto(view[filled:])
        if not count:
            return buffer[:filled]
        filled += count
    return buffer


def parse_frame_payload(payload: bytes | bytearray) -> dict[str, Any]:
    try:
        message = json.loads(payload.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, a 5000-digit int, nesting
        raise ProtocolError(f"unreadable frame: {str(exc)[:200]}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a frame must hold an object")
    return message
