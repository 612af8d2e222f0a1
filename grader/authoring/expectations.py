"""What the reference gives on the public tests, as the recorded expected.json a student's
`grader check` compares against (`grader record`, `grader new`, `grader validate`).
"""

from __future__ import annotations

from pathlib import Path

from grader.course.assignment import find_assignment, find_reference
from grader.errors import GraderError
from grader.grading import RECORD, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.reference import dump_expectations


def recorded_expectations(assignment_name: str, reference: Path | None) -> tuple[str, str]:
    """Return (path, text) of the expectations the reference gives now."""
    assignment = find_assignment(assignment_name)
    reference_dir = find_reference(assignment, reference)
    with Grader(
        assignment, GradingOptions(mode=RECORD, reference_dir=reference_dir, run_slow=False)
    ) as grader:
        result, recorded = grader.grade(Submission.at(reference_dir / assignment.file_name))
    failing = [t for t in result.run_tests if not t.passed]
    if failing:
        raise GraderError(f"the reference fails the public test {failing[0].nodeid!r}: {failing[0].message}")
    return str(assignment.expectations_path), dump_expectations(assignment.name, recorded)
