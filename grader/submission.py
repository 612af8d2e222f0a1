"""A student's submission as handed in, and the folder its worker runs in.

A submission is a `.py` file, a notebook, a zip (a folder zipped, possibly nested one level,
possibly with macOS litter) or a folder. Its id comes from its name, as learning-management
systems export them: Canvas's `login_12345_67890_file.py`, GitHub Classroom's
`assignment-username` repositories, or plain names.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment
from grader.errors import SubmissionError
from grader.notebook_source import ModuleSource, notebook_module
from grader.zip_reader import extract_zip

MAX_FOLDER_BYTES = 50 * 1024 * 1024
SOURCE_SUFFIXES = (".py", ".ipynb")
SUPPORTED = (*SOURCE_SUFFIXES, ".zip")
CANVAS_NAME = re.compile(r"^(?P<student>[A-Za-z0-9-]+?)(?:_late)?_\d+_\d+_.+$", re.IGNORECASE)


@dataclass(frozen=True)
class Submission:
    """One submission: its id and its path."""

    id: str
    path: Path

    @classmethod
    def at(cls, path: Path, assignment: Assignment | None = None) -> "Submission":
        if not path.exists():
            raise SubmissionError(f"{path}: no such file or folder")
        return cls(submission_id(path, assignment), path)

    def install(self, assignment: Assignment, workdir: Path) -> tuple[Path, list[str]]:
        """Put the student's code into `workdir` as the assignment's module.

        Returns the module's path there, and notes for the report.
        """
        path = self.path
        if path.is_file() and path.suffix not in SUPPORTED:
            raise SubmissionError(f"{path.name}: not a supported submission format "
                                  f"(hand in {assignment.file_name}, a notebook, a .zip or a folder)")
        if path.suffix == ".zip" and path.is_file():
            with tempfile.TemporaryDirectory() as unpacked:
                extract_zip(path, Path(unpacked))
                return _install_from_folder(Path(unpacked), assignment, workdir, path.name)
        if path.is_dir():
            return _install_from_folder(path, assignment, workdir, path.name)
        return _install_file(path, assignment, workdir)


def holds_source(folder: Path, assignment: Assignment) -> bool:
    """Whether `folder` holds the assignment's file itself (.py or .ipynb)."""
    paths = [folder / f"{assignment.module_name}{suffix}" for suffix in SOURCE_SUFFIXES]
    return any(p.is_file() or p.is_symlink() for p in paths)  # a symlink is refused later


def submission_id(path: Path, assignment: Assignment | None = None) -> str:
    """The student id in a file or folder name as LMS exports give it."""
    name = path.resolve().name if path.is_dir() else path.stem
    if match := CANVAS_NAME.match(path.name):
        return match.group("student")
    if assignment is not None:
        for slug in {assignment.name, assignment.name.replace("_", "-")}:
            if name.lower().startswith(slug.lower() + "-") and len(name) > len(slug) + 1:
                return name[len(slug) + 1:]
    return name


def _install_file(source: Path, assignment: Assignment, workdir: Path) -> tuple[Path, list[str]]:
    target = workdir / assignment.file_name
    if source.suffix == ".ipynb":
        module = notebook_module(source)
    else:
        module = ModuleSource(source.read_text(encoding="utf-8", errors="replace"))
    target.write_text(module.text, encoding="utf-8")
    return target, module.notes


def _install_from_folder(folder: Path, assignment: Assignment, workdir: Path,
                         label: str) -> tuple[Path, list[str]]:
    source = _find_source(folder, assignment, label)
    if source.parent != folder or any(p.is_dir() for p in folder.iterdir()):
        _copy_folder(source.parent, workdir)  # helper modules beside the student's file
    return _install_file(source, assignment, workdir)


def _find_source(folder: Path, assignment: Assignment, label: str) -> Path:
    """The assignment's file at the top or one level down; else the only candidate."""
    levels = [folder, *sorted(p for p in folder.iterdir() if p.is_dir()
                              and not p.name.startswith((".", "__")))]
    named = [level / f"{assignment.module_name}{suffix}" for suffix in SOURCE_SUFFIXES
             for level in levels]
    found = [p for p in named if p.is_file() or p.is_symlink()]
    if not found:
        found = [p for level in levels for p in sorted(level.iterdir())
                 if (p.is_file() or p.is_symlink()) and p.suffix in SOURCE_SUFFIXES
                 and not p.name.startswith(".")]
        found = found if len(found) == 1 else []
    if found:
        if found[0].is_symlink():  # it could point at anything the grader can read
            raise SubmissionError(f"{label}: {found[0].name} is a symbolic link: refused")
        return found[0]
    raise SubmissionError(f"{label}: no {assignment.file_name} (or "
                          f"{assignment.module_name}.ipynb) found in it")


def _copy_folder(source: Path, target: Path) -> None:
    total = sum(p.stat().st_size for p in source.rglob("*") if p.is_file() and not p.is_symlink())
    if total > MAX_FOLDER_BYTES:
        raise SubmissionError(f"{source.name}: the folder holds {total // 2**20} MiB, "
                              f"more than the {MAX_FOLDER_BYTES // 2**20} MiB allowed")
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".git", ".ipynb_checkpoints"))
