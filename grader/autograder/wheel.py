"""This very grader as a wheel, built from the files it runs from.

The zip carries the grader it was built with, never a name to fetch: a zip built today
grades the same way after any upgrade, and nothing is taken from the package index that
could differ from what the instructor tried. The wheel is pure Python and reproducible
(fixed timestamps, sorted entries).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

from grader.version import DISTRIBUTION, __version__

FIXED_TIME = (1980, 1, 1, 0, 0, 0)
LEFT_OUT_PARTS = ("__pycache__",)
LEFT_OUT_SUFFIXES = (".pyc", ".pyo")


def wheel_name() -> str:
    return f"{_normalised(DISTRIBUTION)}-{__version__}-py3-none-any.whl"


def build_wheel() -> tuple[str, bytes]:
    """The wheel's file name and its bytes."""
    import io

    package = Path(__file__).resolve().parent.parent  # grader/, wherever it is installed
    files = {
        f"grader/{path.relative_to(package).as_posix()}": path.read_bytes()
        for path in _package_files(package)
    }
    info = f"{_normalised(DISTRIBUTION)}-{__version__}.dist-info"
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {DISTRIBUTION}\nVersion: {__version__}\n".encode()
    )
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: grader.autograder.wheel\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/entry_points.txt"] = b"[console_scripts]\ngrader = grader.cli:main\n"
    record = [f"{name},sha256={_digest(data)},{len(data)}" for name, data in sorted(files.items())]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(zipfile.ZipInfo(name, FIXED_TIME), data, zipfile.ZIP_DEFLATED)
    return wheel_name(), buffer.getvalue()


def _package_files(package: Path) -> list[Path]:
    return sorted(
        path
        for path in package.rglob("*")
        if path.is_file()
        and not path.is_symlink()
        and not any(part in LEFT_OUT_PARTS for part in path.relative_to(package).parts)
        and path.suffix not in LEFT_OUT_SUFFIXES
    )


def _digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _normalised(name: str) -> str:
    return name.replace("-", "_").replace(".", "_")
