"""What can go wrong in student code, as exceptions a test lets through.

The pytest plugin turns each into a test status and a one-paragraph message; none of them
is a grader error. ``status`` is what the report shows in the status column.
"""

from __future__ import annotations


class StudentProblem(Exception):
    """Student code did not give an answer; the message says why in the student's terms."""

    status = "error"

    def __init__(self, message: str, *, traceback: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.traceback = traceback


class NotAttempted(StudentProblem):
    status = "not attempted"


class StudentRaised(StudentProblem):
    status = "error"


class StudentTimedOut(StudentProblem):
    status = "timed out"


class StudentCrashed(StudentProblem):
    status = "crashed"


class MemoryLimitExceeded(StudentProblem):
    status = "memory limit"


class ImportFailed(StudentProblem):
    status = "import failed"


class WorkerUnavailable(StudentProblem):
    """The grader could not start a process for the submission: not the student's fault."""

    status = "grader error"


class InvalidReply(StudentProblem):
    """The worker answered with something that is not a valid reply."""

    status = "error"


class Tampering(StudentProblem):
    """Student code reached into the trusted code beside it; the question scores zero."""

    status = "failed"
    misconception = "tampering"


class Mismatch(AssertionError):
    """A student's answer differs from what was expected (raised by grader.feedback)."""

    def __init__(self, message: str, misconception: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.misconception = misconception
