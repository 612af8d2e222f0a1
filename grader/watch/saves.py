"""Notice that the student saved, and read what they saved once it stops changing.

Polled, with the standard library alone (no file-system notification package): every poll
costs one `stat` per watched file, and a file's content is read only when its size or
modification time moved. An editor may write a file in several steps, so a save counts
once two reads agree, the second after the files were left alone for a short while (50 ms:
less wait when the poll noticed the save late); a file that stays half-written is checked as
it is (a syntax error is a report like any other).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from grader.errors import SubmissionError
from grader.intake.files import read_capped

WATCHED_SUFFIXES = (".py", ".ipynb")
MAX_SETTLE_SECONDS = 2.0
"""A file still changing after this long is checked as it is then."""

Stamp = tuple[int, int]
"""A file's modification time (ns) and size: what a poll compares."""


class SavedFiles:
    """The student's file and the modules beside it (the folder's `.py` and `.ipynb`
    files, not its subfolders), as last seen."""

    def __init__(
        self,
        path: Path,
        *,
        settle_seconds: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.folder = path if path.is_dir() else path.parent
        self.settle_seconds = settle_seconds
        self._sleep = sleep
        self._stamps: dict[str, Stamp] = {}
        self.contents: dict[str, bytes] = {}
        """Each watched file's content, as the last settled read found it."""

    def moved(self) -> bool:
        """Whether a watched file appeared, went, or changed size or time since the last read."""
        return self._stamp() != self._stamps

    def settle(self) -> bool:
        """Read the files until two reads agree, the second once none has been written for
        `settle_seconds`; whether their content differs from before."""
        deadline = time.monotonic() + MAX_SETTLE_SECONDS
        stamps, contents = self._stamp(), self._read()
        while time.monotonic() < deadline:
            self._sleep(min(max(self.settle_seconds - _quiet_seconds(stamps), 0.0), self.settle_seconds))
            again_stamps, again = self._stamp(), self._read()
            if again_stamps == stamps and again == contents:
                break
            stamps, contents = again_stamps, again
        changed = contents != self.contents
        self._stamps, self.contents = stamps, contents
        return changed

    def _names(self) -> list[str]:
        try:
            with os.scandir(self.folder) as entries:
                return sorted(
                    e.name
                    for e in entries
                    if e.name.endswith(WATCHED_SUFFIXES) and e.is_file(follow_symlinks=False)
                )
        except OSError:
            return []

    def _stamp(self) -> dict[str, Stamp]:
        stamps = {}
        for name in self._names():
            try:
                status = os.lstat(self.folder / name)
            except OSError:
                continue
            stamps[name] = (status.st_mtime_ns, status.st_size)
        return stamps

    def _read(self) -> dict[str, bytes]:
        contents = {}
        for name in self._names():
            try:  # a regular file only, never through a link, capped: as the check reads it
                contents[name] = read_capped(self.folder / name)
            except SubmissionError:
                continue  # gone, or refused: the check itself says why
        return contents


def _quiet_seconds(stamps: dict[str, Stamp]) -> float:
    """How long ago the last of the files was written (as the file system tells the time)."""
    newest = max((mtime for mtime, _ in stamps.values()), default=0)
    return time.time() - newest / 1e9
