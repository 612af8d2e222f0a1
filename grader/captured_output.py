"""Keep the head and tail of a stream of student output, never all of it."""

from __future__ import annotations

import threading
from typing import BinaryIO


class CapturedOutput:
    """A byte sink that keeps the first and last `keep` bytes and counts the rest."""

    def __init__(self, keep: int = 4096) -> None:
        self.keep = keep
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._lock = threading.Lock()

    def write(self, chunk: bytes) -> None:
        with self._lock:
            self.total += len(chunk)
            room = self.keep - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                del self.tail[:-self.keep]

    def drain(self, stream: BinaryIO) -> threading.Thread:
        """Copy `stream` into this sink on a daemon thread until it closes."""

        def pump() -> None:
            while chunk := stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
                self.write(chunk)

        thread = threading.Thread(target=pump, daemon=True)
        thread.start()
        return thread

    def text(self) -> str:
        with self._lock:
            head = self.head.decode("utf-8", "replace")
            tail = self.tail.decode("utf-8", "replace")
            skipped = self.total - len(self.head) - len(self.tail)
        if skipped > 0:
            return f"{head}\n... [{skipped} bytes of output left out] ...\n{tail}"
        return head + tail
