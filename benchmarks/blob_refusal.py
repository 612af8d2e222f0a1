"""What refusing a reply whose tensors all name one blob costs, beside decoding a fair reply.

    .venv/bin/python benchmarks/blob_refusal.py [--mib 128] [--tensors 14] [--rounds 20]

A reply frame from a worker carries its tensors' bytes as blobs, one tensor per blob. A frame
whose tensors all name the same blob would become that many tensors over one buffer (or that
many copies of it); the trusted side refuses it. In one process this times, per frame: the
refusal (the frame read, then decoding refused), the baseline (a fair frame of one tensor on
a blob of the same size, read and decoded) and, for scale, one copy of the blob. Prints
milliseconds each and the ratios. Not part of the tests: tests/wire/test_protocol.py checks
that the refusal happens and copies nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.wire import protocol  # noqa: E402


def frame(tensors: int, blob: bytearray) -> tuple[bytes, Callable[[int], bytes | bytearray]]:
    """A frame's header and a reader over its parts: `tensors` tensors on one blob."""
    body = {"$tensor": {"dtype": "uint8", "shape": [len(blob)], "blob": 0}}
    payload = json.dumps({"value": [body] * tensors}).encode()
    parts: list[bytes | bytearray] = [payload, protocol.BLOB_HEADER.pack(len(blob)), blob]

    def read(size: int) -> bytes | bytearray:
        part = parts.pop(0)
        assert len(part) == size
        return part

    return protocol.FRAME_HEADER.pack(len(payload), 1), read


def decode(tensors: int, blob: bytearray) -> None:
    message = protocol.read_frame_after_header(*frame(tensors, blob))
    protocol.decode_reply_value(message["value"], message[protocol.BLOBS])


def refuse(tensors: int, blob: bytearray) -> None:
    try:
        decode(tensors, blob)
    except protocol.ProtocolError:
        return
    raise AssertionError("a frame whose tensors share one blob was accepted")


def median_ms(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=128, help="the blob's size in MiB")
    parser.add_argument(
        "--tensors", type=int, default=14, help="tensors naming the blob in the refused frame"
    )
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    blob = bytearray(options.mib * 1024 * 1024)
    fair = median_ms(lambda: decode(1, blob), options.rounds)
    refused = median_ms(lambda: refuse(options.tensors, blob), options.rounds)
    copied = median_ms(lambda: bytes(blob), options.rounds)
    print(f"blob {options.mib} MiB, medians of {options.rounds} rounds")
    print(f"fair frame, one tensor decoded (baseline): {fair:.3f} ms")
    print(
        f"{options.tensors} tensors on the blob, refused: {refused:.3f} ms ({refused / fair:.2f} x baseline)"
    )
    print(f"one copy of the blob, for scale: {copied:.3f} ms ({refused / copied:.3f} of it for the refusal)")


if __name__ == "__main__":
    main()
