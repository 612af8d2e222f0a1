"""A student's submission as handed in, and the folder its worker runs in."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import Assignment
from grader.errors import SubmissionError

MAX_FOLDER_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Submission:
    """One submission: its id (the file or folder name without extension) and its path."""

    id: str
    path: Path

    @classmethod
    def at(cls, path: Path) -> "Submission":
        if not path.exists():
            raise SubmissionError(f"{path}: no such file or folder")
        return cls(path.stem if path.is_file() else path.name, path)

    def module_file(self, assignment: Assignment) -> Path:
        """The file holding the student's code for this assignment."""
        if self.path.is_file():
            if self.path.suffix != ".py":
                raise SubmissionError(f"{self.path.name}: not a supported submission format "
                                      "(give a .py file or a folder holding "
                                      f"{assignment.file_name})")
            return self.path
        candidates = [self.path / assignment.file_name,
                      *sorted(self.path.glob(f"*/{assignment.file_name}"))]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
        raise SubmissionError(f"{self.path}: no {assignment.file_name} in this folder")

    def install(self, assignment: Assignment, workdir: Path) -> Path:
        """Copy the student's files into `workdir`; return the module's path there."""
        source = self.module_file(assignment)
        if source.parent != self.path.parent and self.path.is_dir():
            _copy_folder(source.parent, workdir)
        target = workdir / assignment.file_name
        shutil.copyfile(source, target)
        return target


def _copy_folder(source: Path, target: Path) -> None:
    total = sum(p.stat().st_size for p in source.rglob("*") if p.is_file() and not p.is_symlink())
    if total > MAX_FOLDER_BYTES:
        raise SubmissionError(f"{source}: the folder holds {total // 2**20} MiB, "
                              f"more than the {MAX_FOLDER_BYTES // 2**20} MiB allowed")
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".git"))
