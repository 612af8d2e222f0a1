"""Canvas's gradebook import CSV, rendered from the result model.

Canvas matches rows on its own columns; the submission id (the login in Canvas's export
names) goes in "SIS Login ID", and the assignment's points in a column named after it.
Text cells go through :func:`for_csv`, so no cell is a formula.
"""

from __future__ import annotations

import csv
import io
from typing import Iterable

from grader.results import SubmissionResult
from grader.untrusted_text import for_csv

CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def canvas_csv(batch: Iterable[SubmissionResult], assignment_title: str, total: float) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow([*CANVAS_COLUMNS, for_csv(assignment_title)])
    writer.writerow(["Points Possible", "", "", "", "", f"{total:g}"])
    for result in sorted(batch, key=lambda r: r.submission_id):
        writer.writerow(["", "", "", for_csv(result.submission_id), "", f"{result.score:g}"])
    return stream.getvalue()
