"""A grader's worker, started before the grader itself is imported.

A cold `grader check` (and every Gradescope submission) waits for two imports of torch: the
worker's own, then warm-ups, and this process's, for the reference and the comparisons. Run
one after the other they are most of a student's wait. The worker is started first, from
modules that import neither torch nor pytest, so that its import runs beside this process's
imports of pytest, the plugin and torch; :class:`grader.grading.Grader` then takes it over.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.course.assignment import Assignment, Limits
from grader.wire.limits import ResourceLimits
from grader.worker_client import Launcher, WorkerSpec, Zygote


def make_slot() -> Path:
    """The grader's own folder: each submission's folder goes in it, one uid each."""
    slot = Path(tempfile.mkdtemp(prefix="grader-slot-"))
    slot.chmod(0o711)  # each uid reaches its own folder; none can list the others
    return slot


def worker_spec(
    assignment: Assignment,
    limits: Limits,
    folder: Path,
    *,
    home: Path | None = None,
    launcher: Launcher | None = None,
    isolate: bool = False,
    questions: frozenset[str] | None = None,
) -> WorkerSpec:
    """How an assignment's zygote starts: its memory, its warm-ups, its recorded helpers.
    `questions`: the ones it will serve (None: all), for the warm-ups they need."""
    return WorkerSpec(
        folder=folder,
        home=home or folder,
        limits=ResourceLimits(memory_mib=limits.memory_mib),
        launcher=launcher or (lambda argv: argv),
        warm_optimizer=assignment.trains_in(questions),
        isolate=isolate,
        forbid=tuple(assignment.forbidden.as_arguments()),
    )


@dataclass
class HeadStart:
    """A grader's folder with a zygote already starting in it (not in bubblewrap)."""

    slot: Path
    zygote: Zygote

    @classmethod
    def begin(
        cls,
        assignment: Assignment,
        limits: Limits | None = None,
        launcher: Launcher | None = None,
        questions: frozenset[str] | None = None,
    ) -> HeadStart:
        """`launcher`: how the worker's command line is started (confined in a container);
        `questions`: the ones it will serve (None: all)."""
        slot = make_slot()
        spec = worker_spec(
            assignment, limits or assignment.limits, slot, launcher=launcher, questions=questions
        )
        zygote = Zygote(spec)
        try:
            zygote.process()
        except BaseException:
            shutil.rmtree(slot, ignore_errors=True)
            raise
        return cls(slot, zygote)

    def close(self) -> None:
        """Stop the zygote now and remove the folder; the grader that took them over does the
        same, so either may run first."""
        self.zygote.close(linger=False)
        shutil.rmtree(self.slot, ignore_errors=True)
