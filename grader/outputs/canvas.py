"""Canvas's gradebook import CSV, rendered from each submission's Standing.

Canvas matches rows on its own columns; the submission id (the login in Canvas's export
names) goes in "SIS Login ID", and the total (overrides applied, late penalty taken off) in a
column named after the assignment. Canvas makes every other column it does not know into a
new assignment, so the penalty and overrides are shown in the other outputs, not here.
Text cells go through :func:`for_csv`, so no cell is a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from grader.gradebook.standing import GradedBatch, graded_batch
from grader.results import SubmissionResult
from grader.untrusted_text import for_csv

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def canvas_csv_of(batch: GradedBatch, assignment_title: str) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow([*CANVAS_COLUMNS, for_csv(assignment_title)])
    writer.writerow(["Points Possible", "", "", "", "", f"{batch.max_points:g}"])
    for standing in batch.standings:
        writer.writerow(["", "", "", for_csv(standing.submission_id), "", f"{standing.total:g}"])
    return stream.getvalue()


def canvas_csv(batch: Iterable[SubmissionResult], assignment_title: str, total: float) -> str:
    """Canvas's CSV of results with no instructor adjustments."""
    return canvas_csv_of(graded_batch(batch, max_points=total), assignment_title)
