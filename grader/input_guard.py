"""Kept for assignment probes released before the move to :mod:`grader.worker.input_guard`."""

from grader.worker.input_guard import InputSnapshot  # noqa: F401
