"""A Grader whose worker starts confined for a container, not in bubblewrap.

Everything that decides the grade is :class:`grader.grading.Grader`'s own; only the worker's
start changes: its command line goes through :mod:`grader.autograder.confine`, the whole
worker (it serves this one submission) runs as the container's unprivileged uid, and its one
control group lets a process the kernel killed for memory be reported as the memory limit.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from grader.autograder.confinement import ContainerConfinement
from grader.course.assignment import Assignment
from grader.current_test import Bound
from grader.grading import Grader, GradingOptions
from grader.head_start import HeadStart
from grader.intake.submission import Submission
from grader.results import SubmissionResult
from grader.sandbox.cgroups import MIB, SubmissionGroup
from grader.submission_run import RunControl
from grader.worker_client import Launcher


class WorkerGroup(SubmissionGroup):
    """The worker's group, joined by the confining program before the worker starts: a
    submission's process has nothing to join, only its out-of-memory kills to report."""

    def join_request(self) -> dict[str, list[str]]:
        return {"join": [], "hide": []}


class ContainerGrader(Grader):
    """Grades in a container: the worker confined by uid, limits, group and filter."""

    def __init__(
        self,
        assignment: Assignment,
        options: GradingOptions,
        confinement: ContainerConfinement,
        head_start: HeadStart | None = None,
    ) -> None:
        """`head_start`: a zygote already starting through `confinement.launcher`."""
        self.confinement = confinement  # before the grader's own set-up, which may start the worker
        super().__init__(assignment, options, head_start)

    def grade(
        self,
        submission: Submission,
        control: RunControl | None = None,
        *,
        seed_salt: str = "",
        bounds: list[Bound] | None = None,
    ) -> tuple[SubmissionResult, dict[str, list[dict[str, Any]]]]:
        result, recorded = super().grade(submission, control, seed_salt=seed_salt, bounds=bounds)
        group = self.confinement.group
        peak = group.peak_bytes() if group is not None else None
        if peak is not None:  # the worker's whole life: torch's import in it included
            result.peak_memory_mib = round(peak / MIB, 1)
        return result, recorded

    def _worker_launcher(self) -> Launcher:
        return self.confinement.launcher

    def _uid(self) -> AbstractContextManager[int | None]:
        return nullcontext(self.confinement.uid)  # the submission's folder is given to it

    def _submission_run(
        self,
        submission: Submission,
        module_path: Path,
        workdir: Path,
        uid: int | None,
        group: SubmissionGroup | None = None,
    ) -> Any:  # the parent's SubmissionRun
        return super()._submission_run(submission, module_path, workdir, uid, self._worker_group())

    def _worker_group(self) -> SubmissionGroup | None:
        group = self.confinement.group
        if group is None:
            return None
        return WorkerGroup(
            group.version, group.folders, group.inside, group.memory_mib, group.processes, sandboxed=False
        )
