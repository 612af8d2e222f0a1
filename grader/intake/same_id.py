"""Entries of one folder of submissions that carry one student's id.

Canvas downloads each file of a submission on its own (`ann_12_345_hw.py` and
`ann_12_346_notes.md` are both `ann_12`), so one student who handed in two files once stopped
the whole batch ("two submissions have the id"). Where Canvas named the files, a shared id
is the student's doing and costs only that student: the entry that is the assignment's file
(by the name it was handed in under) is graded, and where none or several are, the id is a
zero row whose reason names the entries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.course.assignment import Assignment
from grader.errors import SubmissionError
from grader.intake.submission import CANVAS_NAME, SOURCE_SUFFIXES, Submission, one_line
from grader.untrusted_text import first_names

_CANVAS_NUMBER = re.compile(r"^_\d+_")
_RESUBMITTED = re.compile(r"^(?P<stem>.+?)(?:-\d+)?$")
"""Canvas renames a file handed in again `hw-1.py`."""


@dataclass(frozen=True)
class Ambiguous(Submission):
    """An id several entries claim, none of them clearly the assignment's file: a zero row."""

    reason: str = ""

    def install(self, assignment: Assignment, workdir: Path) -> tuple[Path, list[str]]:
        raise SubmissionError(self.reason)


def one_per_id(entries: Iterable[Submission], assignment: Assignment) -> list[Submission]:
    """One submission per id that Canvas's names share, in the entries' order (see the
    module's docstring). Other names that collide (`alice.py` beside `alice.zip`) are the
    folder's maker's to rename: they are left for the batch to refuse, naming both."""
    groups: dict[str, list[Submission]] = {}
    for entry in entries:
        groups.setdefault(entry.id, []).append(entry)
    chosen: list[Submission] = []
    for group in groups.values():
        if len(group) > 1 and all(CANVAS_NAME.match(s.path.name) for s in group):
            chosen.append(_choose(group, assignment))
        else:
            chosen += group
    return chosen


def _choose(group: list[Submission], assignment: Assignment) -> Submission:
    named = [s for s in group if is_the_assignment_file(s.path.name, assignment)]
    if len(named) == 1:
        return named[0]
    names = first_names([s.path.name for s in group])
    return Ambiguous(
        group[0].id,
        group[0].path,
        one_line(
            f"{len(group)} entries carry the id {group[0].id} ({names}) and "
            f"{'none' if not named else 'more than one'} of them is {assignment.file_name}: "
            "hand in one file, a .zip or a folder"
        ),
    )


def is_the_assignment_file(name: str, assignment: Assignment) -> bool:
    """Whether `name`, less any Canvas prefix, is the assignment's file (`hw.py`, a
    notebook or a zip of that name, `hw-1.py` as Canvas renames a file handed in again)."""
    if match := CANVAS_NAME.match(name):
        rest = name[match.end("user") :]
        name = rest[number.end() :] if (number := _CANVAS_NUMBER.match(rest)) else rest
    path = Path(name)
    if path.suffix not in (*SOURCE_SUFFIXES, ".zip"):
        return False
    stem = _RESUBMITTED.match(path.stem)
    return stem is not None and stem.group("stem") == assignment.module_name
