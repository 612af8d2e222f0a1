"""The submissions named on a command line: each path one submission, or a folder of them."""

from __future__ import annotations

from pathlib import Path

from grader.course.assignment import Assignment
from grader.course.late_policy import GRADESCOPE_METADATA
from grader.errors import GraderError
from grader.intake.same_id import one_per_id
from grader.intake.submission import Submission, holds_source


def expand_submissions(paths: list[Path], assignment: Assignment) -> list[Submission]:
    """Each path is one submission, or a folder with one submission per entry."""
    submissions = []
    for path in paths:
        if not path.exists():
            raise GraderError(f"{path}: no such file or folder")
        if path.is_dir() and not holds_source(path, assignment):
            submissions += one_per_id(
                [
                    Submission.at(entry, assignment)
                    for entry in sorted(path.iterdir())
                    if not entry.name.startswith((".", "__")) and entry.name != GRADESCOPE_METADATA
                ],
                assignment,
            )
        else:
            submissions.append(Submission.at(path, assignment))
    seen: dict[str, Path] = {}
    for submission in submissions:
        if submission.id in seen:
            raise GraderError(
                f"two submissions have the id {submission.id!r} "
                f"({seen[submission.id]} and {submission.path}): rename one"
            )
        seen[submission.id] = submission.path
    return submissions
