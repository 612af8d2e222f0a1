"""The grader's own errors: each is caught once at the command line and printed as one line."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Exit statuses of the `grader` command."""

    OK = 0
    TESTS_FAILED = 1
    USAGE_ERROR = 2
    INTERNAL_ERROR = 3


class GraderError(Exception):
    """A problem the user can fix; the message says what to do."""

    exit_code = ExitCode.USAGE_ERROR


class ConfigError(GraderError):
    """An assignment's configuration is invalid; the message names where the bad value is."""


class SubmissionError(GraderError):
    """A submission cannot be read or has an unsupported format."""
