"""Extract a zipped submission safely.

No member may land outside the extraction folder, symlinks are skipped rather than
followed, macOS litter (`__MACOSX/`, `._*`, `.DS_Store`) is ignored, and the total size and
the number of files are capped, counting the bytes actually read, so a zip bomb stops early.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError

MAX_TOTAL_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 2000
CHUNK = 1 << 16


def _is_litter(name: PurePosixPath) -> bool:
    return (name.parts[0] == "__MACOSX" or name.name.startswith("._")
            or name.name == ".DS_Store" or "__pycache__" in name.parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _safe_target(folder: Path, name: str) -> Path:
    relative = PurePosixPath(name.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or ":" in relative.parts[0]:
        raise SubmissionError(f"the zip holds a path outside its folder ({name}): refused")
    return folder.joinpath(*relative.parts)


def extract_zip(archive: Path, folder: Path) -> None:
    """Extract `archive` into `folder`, refusing anything unsafe."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            if len(members) > MAX_MEMBERS:
                raise SubmissionError(f"{archive.name}: more than {MAX_MEMBERS} files in the zip")
            budget = MAX_TOTAL_BYTES
            for info in members:
                name = PurePosixPath(info.filename.replace("\\", "/"))
                if info.is_dir() or _is_litter(name) or _is_symlink(info):
                    continue
                target = _safe_target(folder, info.filename)
                target.parent.mkdir(parents=True, exist_ok=True)
                budget = _copy_member(zipped, info, target, budget, archive.name)
    except zipfile.BadZipFile:
        raise SubmissionError(f"{archive.name}: not a readable zip file") from None


def _copy_member(zipped: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int,
                 label: str) -> int:
    with zipped.open(info) as source, open(target, "wb") as sink:
        while chunk := source.read(CHUNK):
            budget -= len(chunk)
            if budget < 0:
                raise SubmissionError(f"{label}: unpacks to more than "
                                      f"{MAX_TOTAL_BYTES // 2**20} MiB: refused")
            sink.write(chunk)
    return budget
