"""Files on disk: the grader's own written atomically, submitted ones read without trusting them.

An atomic write means a reader sees the old file or the new one, never half of either.
A submitted file or folder is seen through `lstat` only: no symbolic link is ever followed,
only regular files are opened (with O_NOFOLLOW, so a link swapped in is refused too), every
read stops one byte past its cap, and a folder walk stops at a number of entries and a depth.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_FOLDER_ENTRIES = 10_000
MAX_DEPTH = 32
CHUNK = 1 << 16
NOT_SUBMITTED = ("__pycache__", ".git", ".ipynb_checkpoints")
"""Folders in a submission that are tools' state, not its code: never copied or hashed."""
OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
"""Never follow a link, never block on a FIFO. Windows has none of these flags: there only
`grader check` runs (the sandboxed batch needs Linux), on the student's own files."""


READABLE_BY_ALL = 0o644
"""A course file's mode: the sandboxed worker (another uid), a student's clone, CI read it."""


def write_text_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write `text` whole or not at all; private to its owner (mkstemp's 0600) unless a
    `mode` is given (READABLE_BY_ALL for what a course hands out)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Entry:
    """One thing inside a submitted folder, as `lstat` sees it (never a link's target)."""

    path: Path
    relative: PurePosixPath
    mode: int
    size: int

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_link(self) -> bool:
        return stat.S_ISLNK(self.mode)


def lstat_entry(path: Path) -> Entry:
    """`path` itself, not what it may link to; a missing path is a SubmissionError."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise SubmissionError(f"{path.name}: cannot be read ({_reason(exc)})") from None
    return Entry(path, PurePosixPath(path.name), info.st_mode, info.st_size)


def list_folder(
    folder: Path,
    *,
    skip: Iterable[str] = (),
    levels: int | None = None,
    max_entries: int = MAX_FOLDER_ENTRIES,
) -> list[Entry]:
    """Everything under `folder`, sorted; links and special files are listed, never entered.

    Folders named in `skip` are listed but not entered. `levels` says how deep to look
    (1: the folder's own entries); without it, folders nested past MAX_DEPTH are refused.
    """
    top = lstat_entry(folder)
    if not top.is_dir:
        raise SubmissionError(f"{folder.name}: {kind(top)}, not a folder: refused")
    skipped, found = frozenset(skip), []
    pending = [(folder, PurePosixPath(), 1)]
    while pending:
        current, relative, level = pending.pop()
        for entry in _scan(current, relative):
            found.append(entry)
            if len(found) > max_entries:
                raise SubmissionError(f"{folder.name}: more than {max_entries} files and folders: refused")
            if not entry.is_dir or entry.path.name in skipped:
                continue
            if levels is not None and level >= levels:
                continue
            if level >= MAX_DEPTH:
                raise SubmissionError(f"{folder.name}: folders nested more than {MAX_DEPTH} deep: refused")
            pending.append((entry.path, entry.relative, level + 1))
    return sorted(found, key=lambda e: e.relative.parts)


def _scan(folder: Path, relative: PurePosixPath) -> Iterator[Entry]:
    """A folder's entries one at a time, so that a huge folder stops at the cap."""
    try:
        with os.scandir(folder) as entries:
            for found in entries:
                info = found.stat(follow_symlinks=False)
                yield Entry(folder / found.name, relative / found.name, info.st_mode, info.st_size)
    except OSError as exc:
        where = relative if relative.parts else folder.name
        raise SubmissionError(f"{where}: cannot be listed ({_reason(exc)})") from None


def read_capped(path: Path, cap: int = MAX_FILE_BYTES, *, label: str | None = None) -> bytes:
    """The bytes of the regular file `path`, never through a link, refused past `cap` bytes."""
    label = label or path.name
    try:
        fd = os.open(path, OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SubmissionError(f"{label}: is a symbolic link: refused") from None
        raise SubmissionError(f"{label}: cannot be read ({_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"{label}: {kind_of_mode(info.st_mode)}, not a regular file: refused")
        return _read_at_most(fd, cap, label)
    except OSError as exc:
        raise SubmissionError(f"{label}: cannot be read ({_reason(exc)})") from None
    finally:
        os.close(fd)


def _read_at_most(fd: int, cap: int, label: str) -> bytes:
    chunks, size = [], 0
    while size <= cap:
        chunk = os.read(fd, min(CHUNK, cap + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > cap:
        raise SubmissionError(f"{label}: more than {size_in_words(cap)}: refused")
    return b"".join(chunks)


def kind(entry: Entry) -> str:
    """What an entry is, in words, for a one-line reason."""
    return kind_of_mode(entry.mode)


def kind_of_mode(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def size_in_words(count: int) -> str:
    """A byte count as a reason says it: in MiB when it is that large."""
    return f"{count // 2**20} MiB" if count >= 2**20 else f"{count} bytes"
