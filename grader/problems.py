"""What can go wrong in student code, as exceptions a test lets through.

The pytest plugin turns each into a test status and a one-paragraph message; none of them
is a grader error. ``status`` is what the report shows in the status column.
"""

from __future__ import annotations

from grader.results import Status


class StudentProblem(Exception):
    """Student code did not give an answer; the message says why in the student's terms."""

    status = Status.ERROR

    def __init__(self, message: str, *, traceback: str = "", after_lost: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.traceback = traceback
        self.after_lost = after_lost  # not run: an earlier test of the question lost it


class NotAttempted(StudentProblem):
    status = Status.NOT_ATTEMPTED


class StudentRaised(StudentProblem):
    status = Status.ERROR


class StudentTimedOut(StudentProblem):
    status = Status.TIMED_OUT


class StudentCrashed(StudentProblem):
    status = Status.CRASHED


class MemoryLimitExceeded(StudentProblem):
    status = Status.MEMORY_LIMIT


class ImportFailed(StudentProblem):
    status = Status.IMPORT_FAILED


class WorkerUnavailable(StudentProblem):
    """The grader could not start a process for the submission: not the student's fault."""

    status = Status.GRADER_ERROR


class InvalidReply(StudentProblem):
    """The worker answered with something that is not a valid reply."""

    status = Status.ERROR


class Tampering(StudentProblem):
    """Student code reached into the trusted code beside it; the question scores zero."""

    status = Status.FAILED
    misconception = "tampering"


class Mismatch(AssertionError):
    """A student's answer differs from what was expected (raised by grader.feedback)."""

    def __init__(self, message: str, misconception: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.misconception = misconception
