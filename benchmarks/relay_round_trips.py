"""What a question's relay costs per request: small round trips, and 16 MB tensors back.

    .venv/bin/python benchmarks/relay_round_trips.py [--small 3000] [--big 10] [--polled]

A forked stand-in question (no torch) answers each request with a heartbeat, a line of
output and a reply; the relay passes each on as in grading. Prints, per round trip, the wall
time and the relay's own CPU time (the figure to compare: it is what the relay adds, and it
moves less than wall time on a busy host). --polled waits on the pipes as Windows does
(grader/wire/pipes.py) instead of with select. POSIX only (the question is forked). Not part
of the tests.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

from grader.wire import protocol
from grader.wire.vocabulary import RecordKind
from grader.worker.records import record
from grader.worker.relay import QuestionPipes, QuestionRelay

TENSOR = os.urandom(16 << 20)


def question(pipes: QuestionPipes) -> None:
    """Reply to each request at once: a small reply, or the tensor when asked for it."""
    requests = os.fdopen(os.dup(pipes.requests), "rb", buffering=0)
    replies = os.fdopen(os.dup(pipes.replies), "wb", buffering=0)
    beat = record(RecordKind.HEARTBEAT, pipes.nonce.decode())
    message: dict = {"ok": True}
    while True:
        os.write(pipes.records, beat)
        os.write(pipes.output, b"a line of output\n")
        protocol.write_frame(replies, message)
        request = protocol.read_frame(requests)
        if request is None or request.get("op") == "end":
            os._exit(0)
        message = {"ok": True, protocol.BLOBS: [TENSOR]} if request.get("big") else {"ok": True}


def timed(relay: QuestionRelay, request: dict, count: int) -> tuple[float, float]:
    """Wall and CPU seconds per round trip."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        relay.forward(request)
        relay.pass_reply()
    return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=3000)
    parser.add_argument("--big", type=int, default=10)
    parser.add_argument("--polled", action="store_true")
    options = parser.parse_args()
    upstream_read, upstream_write = os.pipe()
    threading.Thread(
        target=lambda: [None for _ in iter(lambda: os.read(upstream_read, 1 << 20), b"")], daemon=True
    ).start()  # the grader's side, reading everything
    relay = QuestionRelay(
        os.fdopen(upstream_write, "wb", buffering=0), reap_all=False, portable_pipes=options.polled
    )
    relay.start(question)
    relay.pass_reply()
    small = timed(relay, {"op": "call", "args": [1, 2, 3]}, options.small)
    big = timed(relay, {"op": "call", "big": True}, options.big)
    relay.end()
    print(
        f"{'polled' if options.polled else 'select'} pipes: {options.small} small round trips "
        f"{small[0] * 1e6:.0f} us wall, {small[1] * 1e6:.0f} us relay CPU each; {options.big} "
        f"x 16 MB back {big[0] * 1e3:.1f} ms wall, {big[1] * 1e3:.1f} ms relay CPU each"
    )


if __name__ == "__main__":
    main()
