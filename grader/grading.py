"""Grade one submission: run the assignment's tests in this process, the student's code in a worker.

This is the trusted side. It imports pytest, the plugin and (when grading) the reference
solution; student code only ever runs in the worker that the `student` fixture talks to.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader import results
from grader.assignment import Assignment, Limits
from grader.errors import ConfigError, GraderError, SubmissionError
from grader.limits import ResourceLimits
from grader.plugin import GradingPlugin, GradingRun
from grader.reference import LiveReference, import_private, load_expectations
from grader.submission import Submission
from grader.sandbox import SLOT_INSIDE, Sandbox
from grader.worker_client import SubmissionSpec, WarmWorker, WorkerPool, WorkerSpec

CHECK, GRADE, RECORD = "check", "grade", "record"


@dataclass
class GradingOptions:
    """How to grade: the mode, the reference folder (for grade and record), and limits."""

    mode: str = CHECK
    reference_dir: Path | None = None
    run_slow: bool = False
    questions: frozenset[str] | None = None
    sandbox: Sandbox | None = None
    limits: Limits | None = None  # overrides the assignment's limits


class Grader:
    """Grades submissions of one assignment; keeps the reference loaded between them."""

    def __init__(self, assignment: Assignment, options: GradingOptions) -> None:
        self.assignment = assignment
        self.options = options
        self.live_reference = self._load_reference() if options.mode != CHECK else None
        self.expectations = (load_expectations(assignment.expectations_path)
                             if options.mode != RECORD else {})
        if options.mode == CHECK and not self.expectations:
            raise GraderError(f"{assignment.expectations_path} is missing: the public tests "
                              f"have no recorded expectations (run `grader record {assignment.name}`)")
        self._slot = Path(tempfile.mkdtemp(prefix="grader-slot-"))
        self._slot.chmod(0o755)
        self._warm: WarmWorker | None = None
        self._graded = 0

    def _load_reference(self) -> LiveReference:
        folder = self.options.reference_dir
        assert folder is not None, "grade and record need the reference folder"
        name = self.assignment.name
        module = import_private(f"grader_reference_{name}", folder / self.assignment.file_name)
        probes = import_private(f"grader_probes_{name}", self.assignment.probes_path)
        variants_path = folder / "variants.py"
        variants = (import_private(f"grader_variants_{name}", variants_path)
                    if variants_path.is_file() else None)
        return LiveReference(module, probes, variants)

    @property
    def hidden_tests(self) -> Path | None:
        if self.options.mode != GRADE or self.options.reference_dir is None:
            return None
        folder = self.options.reference_dir.resolve() / "tests"
        return folder if folder.is_dir() else None

    def warm_worker(self) -> WarmWorker:
        """The worker this grader keeps warm across submissions (started on first use)."""
        if self._warm is None:
            limits = self.options.limits or self.assignment.limits
            sandbox = self.options.sandbox
            self._warm = WarmWorker(WorkerSpec(
                folder=self._slot, home=self._inside(self._slot), limits=ResourceLimits(memory_mib=limits.memory_mib),
                launcher=sandbox.launcher(self._slot) if sandbox else (lambda argv: argv),
                warm_optimizer=self.assignment.trains, uid=sandbox.uid if sandbox else None))
        return self._warm

    def grade(self, submission: Submission) -> tuple[results.SubmissionResult, dict]:
        """Grade one submission; also return what a record run wrote down."""
        started = time.perf_counter()
        result = results.SubmissionResult(submission.id, self.assignment.name, self.options.mode)
        self._graded += 1
        workdir = self._slot / f"submission-{self._graded}"
        workdir.mkdir()
        try:
            try:
                module_path, result.notes = submission.install(self.assignment, workdir)
            except SubmissionError as exc:
                result.problem = str(exc)
                return result, {}
            if self.options.sandbox is not None:
                self.options.sandbox.give(workdir)
            plugin = GradingPlugin(self._run(submission, module_path, workdir))
            plugin.start_worker()  # a cold worker imports torch while the tests are collected
            try:
                self._run_pytest(plugin)
            finally:
                plugin.close()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        result.tests = plugin.tests
        result.output = plugin.captured_output
        if self.options.mode == CHECK:
            result.ungraded_hidden_points = self._ungraded_hidden_points()
        result.execution_time = round(time.perf_counter() - started, 3)
        return result, plugin.run.recorded

    def _inside(self, path: Path) -> Path:
        """Where the worker sees a path of the grader's folder (elsewhere in the sandbox)."""
        if self.options.sandbox is None:
            return path
        return SLOT_INSIDE / path.relative_to(self._slot)

    def close(self) -> None:
        """Stop the warm worker and remove the grader's folder."""
        if self._warm is not None:
            self._warm.close()
        shutil.rmtree(self._slot, ignore_errors=True)

    def __enter__(self) -> "Grader":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _run(self, submission: Submission, module_path: Path, workdir: Path) -> GradingRun:
        limits = self.options.limits or self.assignment.limits
        spec = SubmissionSpec(module_path=self._inside(module_path),
                              module_name=self.assignment.module_name,
                              probes_path=self.assignment.probes_path,
                              workdir=self._inside(workdir), import_seconds=limits.import_seconds)
        warm = self.warm_worker()
        return GradingRun(assignment=self.assignment, mode=self.options.mode,
                          submission_id=submission.id, make_pool=lambda: WorkerPool(warm, spec),
                          hidden_tests=self.hidden_tests, live_reference=self.live_reference,
                          expectations=self.expectations, run_slow=self.options.run_slow,
                          questions=self.options.questions, limits=limits)

    def _run_pytest(self, plugin: GradingPlugin) -> None:
        paths = [str(self.assignment.public_tests)]
        if self.hidden_tests is not None:
            paths.append(str(self.hidden_tests))
        args = [*paths, "-c", os.devnull,
                "--rootdir", str(self.assignment.folder), "-p", "no:cacheprovider",
                "-p", "no:randomly", "--import-mode=importlib", "-q",
                "-W", "ignore::pytest.PytestAssertRewriteWarning"]
        sink = io.StringIO()
        try:
            with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
                code = pytest.main(args, plugins=[plugin])
        finally:
            _forget_test_modules([Path(p) for p in paths])
        if plugin.config_error:
            raise ConfigError(plugin.config_error)
        if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR) or \
                (code == pytest.ExitCode.INTERRUPTED and not plugin.tests):
            raise GraderError(f"the tests of {self.assignment.name} could not run:\n"
                              f"{sink.getvalue()[-3000:]}")

    def _ungraded_hidden_points(self) -> float:
        names = self.options.questions or self.assignment.questions.keys()
        return sum(self.assignment.questions[q].hidden for q in names
                   if q in self.assignment.questions)


def _forget_test_modules(folders: list[Path]) -> None:
    """Drop imported test modules, so another assignment's `tests/test_public.py` is not
    mistaken for this one's when both are graded in one process."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and any(Path(file).is_relative_to(folder) for folder in folders):
            del sys.modules[name]
