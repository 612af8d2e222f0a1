"""The batch gradebook: one row per submission, one column per question.

Text cells (ids, question names, problems) go through :func:`for_csv`: a spreadsheet never
runs a student's file name as a formula.
"""

from __future__ import annotations

import csv
import io
from typing import Iterable

from grader.results import SubmissionResult
from grader.untrusted_text import for_csv


def gradebook_csv(batch: Iterable[SubmissionResult], questions: list[str], total: float) -> str:
    """A submission that could not be graded still gets its row, with zero points."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(["submission", "score", "max_score", *map(for_csv, questions), "problem"])
    for result in sorted(batch, key=lambda r: r.submission_id):
        scores = {q.question: q.score for q in result.questions(questions)}
        max_score = result.max_score if result.tests else total
        writer.writerow([for_csv(result.submission_id), f"{result.score:g}", f"{max_score:g}",
                         *(f"{scores.get(q, 0):g}" for q in questions), for_csv(result.problem)])
    return stream.getvalue()
