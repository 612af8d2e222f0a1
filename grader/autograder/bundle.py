"""The autograder zip: what Gradescope extracts to /autograder/source and builds an image from.

At its root `setup.sh` and `run_autograder` (Gradescope's two names), the grader as a wheel,
`requirements.txt` with exact pins, the settings, and the course under `course/`: the
assignment's student-facing folder and its reference folder (solution, hidden tests,
variants). Entries are sorted and dated 1980 so that the same course builds the same zip.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from grader.autograder.pins import TORCH_CPU_INDEX, pinned_requirements
from grader.autograder.settings import SETTINGS_FILE, AutograderSettings
from grader.autograder.wheel import FIXED_TIME, build_wheel
from grader.course.assignment import Assignment

SCRIPTS = ("setup.sh", "run_autograder")
LEFT_OUT = ("__pycache__", ".pytest_cache", ".DS_Store")
EXECUTABLE = 0o100755
REGULAR = 0o100644


def build_zip(assignment: Assignment, reference: Path, settings: AutograderSettings) -> bytes:
    """The zip's bytes for `assignment`, with its `reference` folder."""
    entries = dict(_scripts())
    wheel_name, wheel = build_wheel()
    entries[f"wheels/{wheel_name}"] = (wheel, REGULAR)
    requirements = f"# torch from {TORCH_CPU_INDEX} (setup.sh), the rest from PyPI\n"
    requirements += "\n".join(pinned_requirements()) + "\n"
    entries["requirements.txt"] = (requirements.encode(), REGULAR)
    entries[SETTINGS_FILE] = (settings.to_json().encode(), REGULAR)
    for prefix, folder in (("course/assignments", assignment.folder), ("course/reference", reference)):
        for relative, data in _folder_files(folder):
            entries[f"{prefix}/{assignment.name}/{relative}"] = (data, REGULAR)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (data, mode) in sorted(entries.items()):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _scripts() -> Iterator[tuple[str, tuple[bytes, int]]]:
    templates = resources.files("grader.autograder") / "templates"
    for name in SCRIPTS:
        yield name, ((templates / name).read_bytes(), EXECUTABLE)


def _folder_files(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Regular files under `folder` (no link followed, caches left out), as posix paths."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part in LEFT_OUT for part in relative.parts) or path.suffix == ".pyc":
            continue
        if path.is_file() and not path.is_symlink():
            yield relative.as_posix(), path.read_bytes()


def write_zip(path: Path, data: bytes) -> None:
    """Write the zip whole or not at all (an upload of half a zip fails late and obscurely)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
