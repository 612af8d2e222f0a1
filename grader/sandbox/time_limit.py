"""A request's time limit: the submission's own CPU time, with a wall-clock backstop.

A wall-clock limit charges a submission for whatever else runs on the host (a neighbour's busy
loops, `--jobs`, a slower or half-CPU machine), so its grade would follow the load. Each limit
therefore counts the CPU time the submission's processes used since the request was sent: its
control group's counter where it has one, else its worker's process tree as /proc reports it.
Code that sleeps or waits uses no CPU: a wall-clock backstop :data:`WALL_FACTOR` times the
limit ends it. Where nothing reports CPU time (no /proc), the limit is wall-clock alone.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Protocol

from grader.sandbox.cgroups import SubmissionGroup

WALL_FACTOR = 5.0
"""The wall-clock backstop, in multiples of the CPU limit: a CPU-bound call near its limit
still finishes with a fifth of a CPU; one that sleeps is ended all the same."""
MIN_WAIT = 0.05
"""The shortest wait between two looks at the CPU time used."""


class CpuMeter(Protocol):
    """Where a submission's CPU time is read."""

    @property
    def cpus(self) -> float:
        """The most CPUs its processes can use at once."""
        ...

    def cpu_seconds(self, *, search: bool = False) -> float | None:
        """CPU seconds used so far (a counter); `search` may cost more and miss less."""
        ...


@dataclass(frozen=True)
class GroupMeter:
    """A submission's control group: the kernel counts every process in it."""

    group: SubmissionGroup

    @property
    def cpus(self) -> float:
        return self.group.cpus or float(os.cpu_count() or 1)

    def cpu_seconds(self, *, search: bool = False) -> float | None:
        return self.group.cpu_seconds()


class TimeLimit:
    """`seconds` of the submission's CPU time from now, or WALL_FACTOR times as many of wall
    clock, whichever comes first; wall clock alone when `meter` reads nothing."""

    def __init__(self, seconds: float, meter: CpuMeter | None = None) -> None:
        self.seconds = seconds
        self._started = time.monotonic()
        start = meter.cpu_seconds() if meter is not None else None
        self._meter = meter if start is not None else None
        self._cpu_at_start = start or 0.0
        self._used = 0.0

    @property
    def wall_seconds(self) -> float:
        return self.seconds * WALL_FACTOR if self._meter is not None else self.seconds

    def next_wait(self) -> float:
        """How long to wait for a reply before looking at the time used again."""
        wall_left = self._started + self.wall_seconds - time.monotonic()
        if self._meter is None:
            return max(wall_left, 0.0)
        cpu_left = (self.seconds - self._used) / max(self._meter.cpus, 0.01)
        return max(min(wall_left, max(cpu_left, MIN_WAIT)), 0.0)

    def reached(self) -> str | None:
        """Which limit the request has reached, said for its message; None while neither."""
        if self._meter is not None:
            now = self._meter.cpu_seconds(search=True)
            if now is not None:
                self._used = max(now - self._cpu_at_start, self._used)
            if self._used >= self.seconds:
                return f"timed out after {self.seconds:g} s of CPU time"
        if time.monotonic() - self._started < self.wall_seconds:
            return None
        if self._meter is None:
            return f"timed out after {self.seconds:g} s"
        return (
            f"timed out after {self.wall_seconds:g} s of wall-clock time (the limit for code "
            f"that sleeps or waits; it used {self._used:.1f} of its {self.seconds:g} s of CPU time)"
        )
