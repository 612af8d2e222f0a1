"""The batch gradebook: one row per submission, one column per question.

Points come from each submission's :class:`~grader.gradebook.standing.Standing`: a question an
instructor overrode shows the override's points and is named in the `overridden` column, and
a late penalty has its own column, so `score` = the questions' points - `late_penalty`.
Text cells (ids, question names, problems) go through :func:`for_csv`: a spreadsheet never
runs a student's file name as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from grader.gradebook.standing import GradedBatch, graded_batch
from grader.outputs.adjustments import overrides_in_force
from grader.results import SubmissionResult
from grader.untrusted_text import for_csv


def gradebook_csv_of(batch: GradedBatch) -> str:
    """A submission that could not be graded still gets its row, with zero points."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(
        [
            "submission",
            "score",
            "max_score",
            *map(for_csv, batch.questions),
            "overridden",
            "late_penalty",
            "problem",
        ]
    )
    for standing in batch.standings:
        overridden = " ".join(o.question for o in overrides_in_force(standing))
        writer.writerow(
            [
                for_csv(standing.submission_id),
                f"{standing.total:g}",
                f"{standing.max_points:g}",
                *(f"{standing.points(q):g}" for q in batch.questions),
                for_csv(overridden),
                f"{standing.penalty:g}",
                for_csv(standing.result.problem),
            ]
        )
    return stream.getvalue()


def gradebook_csv(batch: Iterable[SubmissionResult], questions: list[str], total: float) -> str:
    """The gradebook of results with no instructor adjustments."""
    return gradebook_csv_of(graded_batch(batch, questions=questions, max_points=total))
