"""When each submission came in, and each student's extension, recorded at grade time.

`grader grade` reads them from where they are (a Gradescope export's metadata in a folder of
submissions, `--submitted-at FILE`, `--extensions FILE`) and keeps them in the gradebook, so
that every later output computes the same late penalty (grader.gradebook.load.load_batch). A time
in the CSV wins over the export's. Each run says, in a line, what lateness it cannot judge.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from rich.console import Console

from grader.course.assignment import Assignment
from grader.course.late_policy import gradescope_times, read_extensions, read_submission_times
from grader.gradebook.store import FROM_EXPORT, Gradebook
from grader.intake.submission import CANVAS_NAME, Submission, holds_source
from grader.untrusted_text import escape_controls, first_names

Value = TypeVar("Value")


def record_times(
    gradebook: Gradebook,
    assignment: Assignment,
    paths: list[Path],
    submissions: list[Submission],
    console: Console,
    *,
    submitted_at: Path | None,
    extensions: Path | None,
) -> None:
    """Read and record the times and extensions for these submissions; say what is missing."""
    ids = {s.id for s in submissions}
    times = _export_times(assignment, paths, submissions, console)
    if times:
        gradebook.set_submission_times(times, FROM_EXPORT)
    if submitted_at is not None:
        listed = read_submission_times(submitted_at)
        gradebook.set_submission_times(_known(listed, ids, str(submitted_at), console), str(submitted_at))
    if extensions is not None:
        # every row is kept: a student with an extension may not have handed in yet
        gradebook.set_extensions(read_extensions(extensions), str(extensions))
    _say_what_is_missing(gradebook, assignment, submissions, console)


def _export_times(
    assignment: Assignment, paths: list[Path], submissions: list[Submission], console: Console
) -> dict[str, datetime.datetime]:
    """The times in the metadata of each folder of submissions, for its own submissions only.

    A folder that is itself a submission is the student's: a submission_metadata.yml in it is
    a file they handed in, and says nothing of when they, or anyone, handed in."""
    times: dict[str, datetime.datetime] = {}
    for path in paths:
        if path.is_dir() and not holds_source(path, assignment):
            inside = {s.id for s in submissions if s.path.parent == path}
            times.update(_known(gradescope_times(path), inside, "the Gradescope export", console))
    return times


def _known(values: Mapping[str, Value], ids: set[str], source: str, console: Console) -> dict[str, Value]:
    """The values for these ids; the others named in a line, since a typo loses a time."""
    unknown = sorted(set(values) - ids)
    if unknown:
        _say(
            console,
            f"{source} names {len(unknown)} id(s) that are not submissions here "
            f"({first_names(unknown)}): ignored",
        )
    return {key: value for key, value in values.items() if key in ids}


def _say_what_is_missing(
    gradebook: Gradebook, assignment: Assignment, submissions: list[Submission], console: Console
) -> None:
    ids = {s.id for s in submissions}
    known = set(gradebook.submission_times())
    if assignment.late is None:
        if known & ids:
            _say(
                console,
                f"submission times are recorded, but {assignment.name} has no [late] "
                "policy in assignment.toml: no late penalty applies",
            )
        return
    missing = sorted(ids - known)
    if missing:
        _say(
            console,
            f"{len(missing)} submission(s) have no submission time "
            f"({first_names(missing)}) and lose nothing for lateness: give their times with "
            "--submitted-at FILE",
        )
    marked = sorted(s.id for s in submissions if s.id in missing and canvas_marks_late(s.path))
    if marked:
        _say(
            console,
            f"Canvas marks {len(marked)} of them late ({first_names(marked)}) but its "
            "download names carry no time: take the times from Canvas's submission list",
        )


def canvas_marks_late(path: Path) -> bool:
    """Whether a Canvas download name says the submission was late (`login_late_123_456_f.py`)."""
    match = CANVAS_NAME.match(path.name)
    return match is not None and path.name[match.end("student") :].lower().startswith("_late_")


def _say(console: Console, line: str) -> None:
    console.print(escape_controls(line), markup=False, highlight=False)
