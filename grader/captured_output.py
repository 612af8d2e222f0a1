"""Keep the head and tail of a stream of student output, never all of it."""

from __future__ import annotations

import threading

from grader import untrusted_text


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
                del self.tail[: -self.keep]

    def text(self) -> str:
        """What was kept, as text safe to show: control characters escaped."""
        with self._lock:
            head = self.head.decode("utf-8", "replace")
            tail = self.tail.decode("utf-8", "replace")
            skipped = self.total - len(self.head) - len(self.tail)
        text = f"{head}\n... [{skipped} bytes of output left out] ...\n{tail}" if skipped > 0 else head + tail
        return untrusted_text.bounded(text, untrusted_text.OUTPUT)
