"""A student's submission as handed in, and the folder its worker runs in.

A submission is a `.py` file, a notebook, a zip (a folder zipped, possibly nested one level,
possibly with macOS litter) or a folder. Its id comes from its name, as learning-management
systems export them: Canvas's `login_12345_67890_file.py`, GitHub Classroom's
`assignment-username` repositories, or plain names.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.course.assignment import Assignment, find_assignment, known_assignments
from grader.errors import GraderError, SubmissionError
from grader.intake.files import (
    MAX_FILE_BYTES,
    NOT_SUBMITTED,
    Entry,
    kind,
    list_folder,
    lstat_entry,
    read_capped,
    size_in_words,
)
from grader.intake.notebook_module import ModuleSource, notebook_module, stub_grader_imports
from grader.intake.zip_archive import extract_zip

MAX_FOLDER_BYTES = 50 * 1024 * 1024
MAX_FOLDER_FILES = 1000
COMPILED_CODE = (".so", ".pyd", ".pyc", ".pyo", ".dylib", ".dll")
"""Left out of a submission's folder: native code and bytecode run unseen by the audit hook."""
MAX_REASON = 400
SOURCE_SUFFIXES = (".py", ".ipynb")
SUPPORTED = (*SOURCE_SUFFIXES, ".zip")
OUTPUT_NAMES = frozenset(
    {
        "gradebook.sqlite",
        "gradebook.sqlite-wal",
        "gradebook.sqlite-shm",
        "gradebook.sqlite-journal",
        "gradebook.csv",
        "canvas.csv",
        "junit.xml",
        "report.md",
        "report.html",
        "summary.txt",
        "similarity.json",
    }
)
"""What the grader writes at the top of its output folder, beside one folder per id: an id
named like one (a file `gradebook.csv.py`) would take its place, and the batch could write
neither (compared case-folded, as some filesystems do)."""
CANVAS_NAME = re.compile(r"^(?P<student>[A-Za-z0-9-]+?)(?:_late)?_(?P<user>\d+)_\d+_.+$", re.IGNORECASE)


@dataclass(frozen=True)
class Submission:
    """One submission: its id and its path."""

    id: str
    path: Path

    @classmethod
    def at(cls, path: Path, assignment: Assignment | None = None) -> Submission:
        if not os.path.lexists(path):
            raise SubmissionError(f"{path}: no such file or folder")
        return cls(submission_id(path, assignment), path)

    def install(self, assignment: Assignment, workdir: Path) -> tuple[Path, list[str]]:
        """Put the student's code into `workdir` as the assignment's module.

        Returns the module's path there, and notes for the report. This is the one door
        of intake: whatever goes wrong reading a submission leaves it as a SubmissionError
        of one printable line, which grades it zero with that reason, and the batch goes on.
        """
        try:
            module, notes = self._install(assignment, workdir)
            return module, notes + install_given(assignment, workdir)
        except SubmissionError as exc:
            raise SubmissionError(one_line(str(exc))) from None
        except Exception as exc:  # noqa: BLE001 - whatever a hostile file provokes
            raise SubmissionError(
                one_line(f"{self.path.name}: cannot be read ({type(exc).__name__}: {exc})")
            ) from None

    def _install(self, assignment: Assignment, workdir: Path) -> tuple[Path, list[str]]:
        entry = lstat_entry(self.path)
        if entry.is_dir:
            return _install_from_folder(self.path, assignment, workdir, self.path.name)
        if not entry.is_file:  # a link is never followed, whatever it points at
            raise SubmissionError(f"{self.path.name}: {kind(entry)}: refused")
        if self.path.suffix not in SUPPORTED:
            raise SubmissionError(
                f"{self.path.name}: not a supported submission format "
                f"(hand in {assignment.file_name}, a notebook, a .zip or a folder)"
            )
        if self.path.suffix == ".zip":
            with tempfile.TemporaryDirectory() as unpacked:
                extract_zip(self.path, Path(unpacked))
                return _install_from_folder(Path(unpacked), assignment, workdir, self.path.name)
        return _install_file(self.path, assignment, workdir)


def install_given(assignment: Assignment, workdir: Path) -> list[str]:
    """Put the course's own copy of each given file beside the module, whatever the student
    handed in under that name (a flat folder or a nested one alike); a note for each
    replaced copy that differed."""
    notes = []
    for name in assignment.given:
        source, target = assignment.folder / name, workdir.joinpath(*PurePosixPath(name).parts)
        data = source.read_bytes()
        if os.path.lexists(target):
            same = target.is_file() and not target.is_symlink() and target.read_bytes() == data
            if not same:
                notes.append(f"{name} is given by the course: its copy was used, not yours")
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return notes


def one_line(text: str, limit: int = MAX_REASON) -> str:
    """A reason as one printable line: what names hold is escaped, and the length capped."""
    shown = "".join(c if c.isprintable() else _escape(c) for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def holds_source(folder: Path, assignment: Assignment) -> bool:
    """Whether `folder` holds the assignment's file itself (.py or .ipynb), whatever it is."""
    return any(
        os.path.lexists(folder / f"{assignment.module_name}{suffix}") for suffix in SOURCE_SUFFIXES
    )  # a link or a pipe is refused later


def submission_id(path: Path, assignment: Assignment | None = None) -> str:
    """The student id in a file or folder name as LMS exports give it.

    Canvas's `login_12345_67890_file.py` keeps its user id (`login_12345`): logins are not
    unique, and two students must never share a row. Nothing is resolved: a link is named
    by itself, never by what it points at.
    """
    if match := CANVAS_NAME.match(path.name):
        return f"{match.group('student')}_{match.group('user')}"
    absolute = Path(os.path.abspath(path))
    name = absolute.name if os.path.isdir(path) and not os.path.islink(path) else absolute.stem
    if assignment is not None:
        for slug in {assignment.name, assignment.name.replace("_", "-")}:
            if name.lower().startswith(slug.lower() + "-") and len(name) > len(slug) + 1:
                name = name[len(slug) + 1 :]
                break
    for candidate in (name, absolute.name, f"{absolute.name}_"):
        if candidate.strip(".") and candidate.casefold() not in OUTPUT_NAMES:
            return candidate  # never ".", ".." or an output's name: ids name folders
    return f"{absolute.name}_"


def _install_file(source: Path, assignment: Assignment, workdir: Path) -> tuple[Path, list[str]]:
    target = workdir / assignment.file_name
    data = read_capped(source, MAX_FILE_BYTES)
    if source.suffix == ".ipynb":
        module = notebook_module(data, source.name)
    else:
        # A .py exported from a notebook that checked itself: its grader imports do nothing.
        module = ModuleSource(stub_grader_imports(_python_text(data, source.name)))
    try:
        encoded = module.text.encode("utf-8")
    except UnicodeEncodeError:
        raise SubmissionError(f"{source.name}: holds text that is not valid Unicode") from None
    target.write_bytes(encoded)
    return target, module.notes


def _python_text(data: bytes, name: str) -> str:
    """A .py file's text, refused where Python itself would refuse to import it."""
    if (nul := data.find(b"\0")) >= 0:
        raise SubmissionError(f"{name}: holds null bytes (at byte {nul}): not Python source")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionError(f"{name}: not UTF-8 text (byte {exc.start}): save it as UTF-8") from None


def _install_from_folder(
    folder: Path, assignment: Assignment, workdir: Path, label: str
) -> tuple[Path, list[str]]:
    top = list_folder(folder, levels=2)
    source = _find_source(top, folder, assignment, label)
    if source.path.parent != folder or any(e.is_dir for e in top):
        _copy_helpers(source.path.parent, workdir, skip=source.path.name)
    return _install_file(source.path, assignment, workdir)


def _find_source(entries: list[Entry], folder: Path, assignment: Assignment, label: str) -> Entry:
    """The assignment's file at the top or one level down; else the only candidate."""
    levels = [
        folder,
        *(
            e.path
            for e in entries
            if e.is_dir and len(e.relative.parts) == 1 and not e.path.name.startswith((".", "__"))
        ),
    ]
    candidates = {e.path: e for e in entries if not e.is_dir and e.path.parent in levels}
    named = [
        candidates[p]
        for suffix in SOURCE_SUFFIXES
        for level in levels
        if (p := level / f"{assignment.module_name}{suffix}") in candidates
    ]
    found = named or [
        e for e in candidates.values() if e.path.suffix in SOURCE_SUFFIXES and not e.path.name.startswith(".")
    ]
    if named or len(found) == 1:
        return _regular(found[0], label)
    raise SubmissionError(
        f"{label}: no {assignment.file_name} (or {assignment.module_name}.ipynb) found in it"
    )


def _regular(entry: Entry, label: str) -> Entry:
    if entry.is_link:  # it could point at anything the grader can read
        raise SubmissionError(f"{label}: {entry.relative} is a symbolic link: refused")
    if not entry.is_file:
        raise SubmissionError(f"{label}: {entry.relative} is {kind(entry)}, not a file: refused")
    return entry


def _copy_helpers(source: Path, target: Path, *, skip: str) -> None:
    """Copy the regular files beside the student's file (helper modules, data), capped.

    Links, pipes and devices are left behind: nothing here is followed or opened but a file.
    So are compiled modules (extensions, bytecode): code no witness beside it could watch.
    """
    entries = list_folder(source, skip=NOT_SUBMITTED)
    files = [
        e
        for e in entries
        if e.is_file and e.relative != PurePosixPath(skip) and e.path.suffix.lower() not in COMPILED_CODE
    ]
    if len(files) > MAX_FOLDER_FILES:
        raise SubmissionError(f"{source.name}: more than {MAX_FOLDER_FILES} files: refused")
    total = sum(e.size for e in files)
    if total > MAX_FOLDER_BYTES:
        raise SubmissionError(
            f"{source.name}: the folder holds {size_in_words(total)}, "
            f"more than the {size_in_words(MAX_FOLDER_BYTES)} allowed"
        )
    budget = MAX_FOLDER_BYTES
    for entry in files:
        data = read_capped(entry.path, budget, label=str(entry.relative))
        budget -= len(data)
        destination = target.joinpath(*entry.relative.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        with open(destination, "xb") as sink:
            sink.write(data)


def locate_assignment(path: Path, name: str | None) -> Assignment:
    """The assignment named, else the one whose file `path` is or holds."""
    if name:
        return find_assignment(name)
    known = known_assignments()
    if not path.exists():
        raise GraderError(f"{path}: no such file or folder")
    if path.is_file():
        for folder in known.values():
            assignment = Assignment.load(folder)
            if path.stem == assignment.module_name and path.suffix in SOURCE_SUFFIXES:
                return assignment
        raise GraderError(
            f"cannot tell which assignment {path.name} is for: pass --assignment ({', '.join(sorted(known))})"
        )
    found = [Assignment.load(folder) for folder in known.values()]
    found = [a for a in found if holds_source(path, a)]
    if len(found) == 1:
        return found[0]
    files = " or ".join(sorted(Assignment.load(f).file_name for f in known.values()))
    if not found:
        raise GraderError(f"no assignment file ({files}) in {path}: give its path")
    raise GraderError(
        f"{path} holds several assignments: pass --assignment ({', '.join(a.name for a in found)})"
    )
