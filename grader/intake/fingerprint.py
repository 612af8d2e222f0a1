"""Content fingerprints: what tells a run that a submission or an assignment is unchanged.

A submission's hash is taken as intake sees it (no link followed, nothing but regular files
read, every read capped), so the gradebook can skip what it graded already; an assignment's
folders are the instructor's and hashed whole, so a change to a test or the reference is a
new assignment version.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError
from grader.intake.files import MAX_FILE_BYTES, NOT_SUBMITTED, Entry, list_folder, lstat_entry, read_capped

MAX_HASHED_BYTES = 256 * 1024 * 1024
"""Past this much read, a submission's files stand in the hash by size and time, not bytes."""
MAX_TRUSTED_FILE_BYTES = 1 << 30
TRUSTED_ENTRIES = 1_000_000
"""An assignment's own folders are the instructor's: bounded only against mistakes."""


def content_hash(path: Path) -> str:
    """A hash of a submission as intake sees it: a file's bytes, or each file's in a folder
    with its name.

    It never raises, since it runs on every submission before any is graded: a link stands
    in it by the name it holds (never followed), a pipe or device by its kind, a file too
    large to read by its size and time, and a submission that cannot be listed by the reason,
    so that grading turns it into a zero row.
    """
    digest = hashlib.sha256()
    try:
        top = lstat_entry(path)
        entries = list_folder(path, skip=NOT_SUBMITTED) if top.is_dir else [top]
        budget = MAX_HASHED_BYTES
        for entry in entries:
            if not entry.is_dir:
                digest.update(str(entry.relative).encode("utf-8", "surrogateescape"))
                content, budget = _hashed_content(entry, budget)
                digest.update(b"\0" + content + b"\0")
    except (SubmissionError, OSError) as exc:  # an OSError: it changed while being read
        digest.update(b"unreadable\0" + str(exc).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _hashed_content(entry: Entry, budget: int) -> tuple[bytes, int]:
    """What stands for one entry in a submission's hash, and the bytes left to read."""
    if entry.is_link:
        return b"link\0" + os.fsencode(os.readlink(entry.path)), budget
    if not entry.is_file:
        return f"special\0{stat.S_IFMT(entry.mode)}".encode(), budget
    if entry.size <= min(budget, MAX_FILE_BYTES):
        try:
            data = read_capped(entry.path, min(budget, MAX_FILE_BYTES))
            return data, budget - len(data)
        except SubmissionError:
            pass  # changed since it was listed: its size and time below say so
    info = os.lstat(entry.path)
    return f"unread\0{info.st_size}\0{info.st_mtime_ns}".encode(), budget


def folder_hash(folders: Iterable[Path]) -> str:
    """A hash of everything in the folders that define an assignment and its grading."""
    digest = hashlib.sha256()
    for folder in folders:
        for relative, content in trusted_folder_contents(folder):
            digest.update(str(relative).encode("utf-8", "surrogateescape") + b"\0" + content)
    return digest.hexdigest()[:16]


def trusted_folder_contents(folder: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    """(relative path, content) of each file and link in one of an instructor's folders, in
    order, bytecode caches left out. A link stands by the name it holds; nothing is followed."""
    for entry in list_folder(folder, skip=("__pycache__",), max_entries=TRUSTED_ENTRIES):
        if entry.is_file:
            yield entry.relative, read_capped(entry.path, MAX_TRUSTED_FILE_BYTES)
        elif entry.is_link:
            yield entry.relative, b"link\0" + os.fsencode(os.readlink(entry.path))
