"""What Gradescope says about a submission (submission_metadata.json), read defensively.

The student key comes from the users' Gradescope ids: every seed of the hidden tests is keyed
on it, so two students never share a draw and a regrade of the same student draws the same
inputs again. A resubmission by the same student draws the same inputs too: fishing for an
easier draw gets nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_BYTES = 1 << 20
UNKNOWN = "unknown-student"


@dataclass(frozen=True)
class SubmissionMetadata:
    """The parts of Gradescope's metadata that grading uses."""

    student_key: str
    submission_id: str = ""
    due_date: str = ""
    problem: str = ""
    """Why the file could not be used, in one line (then the key is UNKNOWN)."""

    @classmethod
    def read(cls, path: Path) -> SubmissionMetadata:
        try:
            with open(path, "rb") as stream:
                data: Any = json.loads(stream.read(MAX_BYTES + 1))  # longer: not JSON
        except (OSError, ValueError) as exc:
            return cls(UNKNOWN, problem=f"{path.name} cannot be read ({type(exc).__name__})")
        if not isinstance(data, dict):
            return cls(UNKNOWN, problem=f"{path.name} is not a JSON object")
        key = student_key(data.get("users"))
        assignment = data.get("assignment")
        if not isinstance(assignment, dict):
            assignment = {}
        return cls(
            student_key=key or UNKNOWN,
            submission_id=_text(data.get("id")),
            due_date=_text(assignment.get("due_date")),
            problem="" if key else f"{path.name} names no user id",
        )


def student_key(users: Any) -> str:
    """`gs-<id>` for one student, the sorted ids joined by `+` for a group; "" if none."""
    if not isinstance(users, list):
        return ""
    ids = sorted({_text(user.get("id")) for user in users if isinstance(user, dict)} - {""})
    return "gs-" + "+".join(ids) if ids else ""


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    text = str(value)
    return text if len(text) <= 64 and text.isprintable() else ""
