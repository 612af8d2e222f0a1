"""An output folder's graded batch as every output shows it, read from its gradebook.

Results, the instructor's overrides, submission times and extensions (so late penalties), and
the assignment version that graded each question, combined by :mod:`grader.gradebook.standing`.
"""

from __future__ import annotations

from pathlib import Path

from grader.course.assignment import CONFIG_FILE, Assignment, find_assignment
from grader.errors import GraderError
from grader.gradebook.standing import GradedBatch, graded_batch, late_penalties
from grader.gradebook.store import FILE_NAME, Gradebook


def load_batch(out: Path, assignment: Assignment | None = None) -> GradedBatch:
    """The graded batch in `out` as every output shows it: results from its gradebook, the
    instructor's overrides, and late penalties under the assignment's [late] policy.

    Without an assignment, the one graded is read from the folder the gradebook recorded,
    else looked up by name; where it cannot be found, questions and points come from the
    results (and the outputs show its name and the grader's own codes), unless the gradebook
    holds submission times: then the lookup's error stands, since no penalty may be silently
    left out.
    """
    if not (out / FILE_NAME).is_file():
        raise GraderError(f"{out} holds no {FILE_NAME}: give the folder `grader grade --out` wrote")
    gradebook = Gradebook(out / FILE_NAME)
    try:
        results, overrides = gradebook.results(), gradebook.overrides()
        submitted, extensions = gradebook.submission_times(), gradebook.extensions()
        versions, folder = gradebook.question_versions(), gradebook.assignment_folder()
    finally:
        gradebook.close()
    if assignment is None and results:
        try:
            assignment = recorded_assignment(results[0].assignment, folder)
        except GraderError:
            if submitted:
                raise
    policy = assignment.late if assignment is not None else None
    return graded_batch(
        results,
        questions=tuple(assignment.questions) if assignment is not None else None,
        max_points=assignment.total_points if assignment is not None else None,
        overrides=overrides,
        versions=versions,
        late=late_penalties(policy, submitted, extensions) if policy is not None else None,
        title=assignment.title if assignment is not None else "",
        catalogue=assignment.misconceptions if assignment is not None else None,
    )


def recorded_assignment(name: str, folder: Path | None) -> Assignment:
    """The assignment graded: from the folder the gradebook recorded where it is still that
    assignment's, else found by name; else the one-line error of the lookup."""
    if folder is not None and folder.name == name and (folder / CONFIG_FILE).is_file():
        return Assignment.load(folder)
    return find_assignment(name)
