"""Extract a zipped submission safely.

The archive is read as a regular file (never through a link) of bounded size, and every
member is checked before anything is written: no member may land outside the extraction
folder or share its path with another (a file and a folder of one name, one name twice), each
name fits the file system, no member is encrypted or compressed by a method zipfile cannot
undo, and there are at most MAX_MEMBERS. Symlinks are skipped rather than followed, macOS
litter (`__MACOSX/`, `._*`, `.DS_Store`) is ignored, and the total size is capped counting the
bytes actually read, so a zip bomb stops early. A zip that is broken in any other way is a
SubmissionError naming it.
"""

from __future__ import annotations

import io
import lzma
import stat
import struct
import zipfile
import zlib
from pathlib import Path

from grader.errors import SubmissionError
from grader.intake.files import read_capped, size_in_words

MAX_TOTAL_BYTES = 50 * 1024 * 1024
MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_DIRECTORY_BYTES = 4 * 1024 * 1024  # what zipfile may read to list the members at all
MAX_NAME_BYTES = 255  # one part of a path, as Linux file systems allow
MAX_PATH_BYTES = 1024
METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
CHUNK = 1 << 16
END_RECORDS_BYTES = (1 << 16) + 22 + 20 + 56  # zipfile's search for the end records
# What zipfile and the decompressors raise for a damaged archive (an OSError is left to the
# caller: it may as well be the extraction folder's disk).
BROKEN = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    ValueError,
    struct.error,
    NotImplementedError,
    RuntimeError,
)

Parts = tuple[str, ...]


class _MeteredBytes(io.BytesIO):
    """An archive in memory whose reads are counted while zipfile lists its members.

    zipfile reads the whole central directory at once, whatever number of members it claims;
    counting the bytes bounds what a forged directory costs before any check can run.
    """

    def __init__(self, data: bytes, budget: int, label: str) -> None:
        super().__init__(data)
        self.budget: int | None = budget
        self.label = label

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if self.budget is not None:
            self.budget -= len(chunk)
            if self.budget < 0:
                raise SubmissionError(
                    f"{self.label}: the zip's list of files is larger than "
                    f"{size_in_words(MAX_DIRECTORY_BYTES)}: refused"
                )
        return chunk


def extract_zip(archive: Path, folder: Path) -> None:
    """Extract `archive` into `folder`, refusing anything unsafe."""
    label = archive.name
    data = read_capped(archive, MAX_ARCHIVE_BYTES)
    try:
        with _open(data, label) as zipped:
            budget = MAX_TOTAL_BYTES
            for info, parts in _plan(zipped.infolist(), label):
                target = folder.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                budget = _copy_member(zipped, info, target, budget, label)
    except BROKEN as exc:
        raise SubmissionError(f"{label}: not a readable zip file ({_kind(exc)})") from None


def _kind(exc: Exception) -> str:
    """The exception's name, with its module where the name alone says nothing (zlib.error)."""
    name = type(exc).__name__
    return f"{type(exc).__module__}.{name}" if name == "error" else name


def _open(data: bytes, label: str) -> zipfile.ZipFile:
    stream = _MeteredBytes(data, MAX_DIRECTORY_BYTES + END_RECORDS_BYTES, label)
    zipped = zipfile.ZipFile(stream)
    stream.budget = None
    return zipped


def _plan(members: list[zipfile.ZipInfo], label: str) -> list[tuple[zipfile.ZipInfo, Parts]]:
    """The members to write and where, once every one of them has been checked."""
    if len(members) > MAX_MEMBERS:
        raise SubmissionError(f"{label}: more than {MAX_MEMBERS} files in the zip: refused")
    files: dict[Parts, zipfile.ZipInfo] = {}
    folders: set[Parts] = set()
    for info in members:
        parts = _parts(info.filename, label)
        if not parts or _is_litter(parts) or _is_symlink(info):
            continue
        if info.is_dir():
            folders.add(parts)
            continue
        _check_readable(info, label)
        if parts in files:
            raise SubmissionError(f"{label}: holds {'/'.join(parts)} twice: refused")
        files[parts] = info
        folders.update(parts[:end] for end in range(1, len(parts)))
    if clash := sorted(files.keys() & folders):
        raise SubmissionError(f"{label}: holds a file and a folder both named {'/'.join(clash[0])}: refused")
    return [(info, parts) for parts, info in files.items()]


def _parts(name: str, label: str) -> Parts:
    """A member's path as parts inside the folder (`.` and empty parts dropped), or refused."""
    raw = name.replace("\\", "/")
    parts = tuple(part for part in raw.split("/") if part not in ("", "."))
    if raw.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
        raise SubmissionError(f"{label}: the zip holds a path outside its folder ({name}): refused")
    too_long = [p for p in parts if len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES]
    if too_long or len(raw.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        raise SubmissionError(
            f"{label}: the zip holds a name longer than the file system "
            f"allows ({MAX_NAME_BYTES} bytes a part): refused"
        )
    return parts


def _check_readable(info: zipfile.ZipInfo, label: str) -> None:
    if info.flag_bits & 0x1:
        raise SubmissionError(f"{label}: {info.filename} is encrypted: refused")
    if info.compress_type not in METHODS:
        raise SubmissionError(
            f"{label}: {info.filename} is compressed with method "
            f"{info.compress_type}, which cannot be read: refused"
        )


def _is_litter(parts: Parts) -> bool:
    return (
        parts[0] == "__MACOSX"
        or parts[-1].startswith("._")
        or parts[-1] == ".DS_Store"
        or "__pycache__" in parts
    )


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _copy_member(
    zipped: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int, label: str
) -> int:
    with zipped.open(info) as source, open(target, "xb") as sink:
        while chunk := source.read(CHUNK):
            budget -= len(chunk)
            if budget < 0:
                raise SubmissionError(
                    f"{label}: unpacks to more than {MAX_TOTAL_BYTES // 2**20} MiB: refused"
                )
            sink.write(chunk)
    return budget
