"""Grade one submission: run the assignment's tests in this process, the student's code in a worker.

This is the trusted side. It imports pytest, the plugin and (when grading) the reference
solution; student code only ever runs in the worker that the `student` fixture talks to.
A grader keeps three things warm across submissions: the reference, one pytest session with
the tests collected (:mod:`grader.session`), and the worker zygote with torch imported.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import results
from grader.course.assignment import Assignment, Limits
from grader.current_test import Bound
from grader.errors import ConfigError, GraderError, SubmissionError
from grader.head_start import HeadStart, make_slot, worker_spec
from grader.intake.fingerprint import trusted_folder_contents
from grader.intake.submission import Submission
from grader.leaderboard import shown
from grader.plugin import GradingSettings
from grader.reference import LiveReference, load_expectations, load_live_reference
from grader.sandbox.bubblewrap import SLOT_INSIDE, Sandbox
from grader.sandbox.cgroups import Cgroups, SubmissionGroup, open_cgroups
from grader.sandbox.uid_pool import lease_uid
from grader.seeds import salted
from grader.session import PytestSession
from grader.static_check import tampering_by_question
from grader.submission_run import RunControl, SubmissionRun
from grader.wire.limits import ResourceLimits
from grader.worker import shapes_on_demand
from grader.worker_client import Launcher, SubmissionSpec, SubmissionWorkers, Zygote

CHECK, GRADE, RECORD = results.Mode.CHECK, results.Mode.GRADE, results.Mode.RECORD


@dataclass
class GradingOptions:
    """How to grade: the mode, the reference folder (for grade and record), and limits."""

    mode: results.Mode = CHECK
    reference_dir: Path | None = None
    run_slow: bool = False
    questions: frozenset[str] | None = None
    sandbox: Sandbox | None = None
    limits: Limits | None = None  # overrides the assignment's limits
    group_memory_mib: int | None = None
    """Memory for all of a submission's processes together (its control group), when not the
    limits' memory_mib."""
    torch_threads: int | None = None
    """torch's threads in this process, set as grading starts (the command line's one); None
    leaves them as they are (in a notebook the process is the student's own kernel)."""
    seed_salt: str = ""
    """Mixed into the seed key: `grader ci` draws new hidden inputs on every run, so what a
    submission manages to print about one run's inputs is no use in the next."""


class Grader:
    """Grades submissions of one assignment; keeps the reference loaded between them."""

    def __init__(
        self, assignment: Assignment, options: GradingOptions, head_start: HeadStart | None = None
    ) -> None:
        """`head_start`: a zygote already starting, to take over (unsandboxed graders only)."""
        if not assignment.probes_path.is_file():  # the instructor's to fix, not each student's
            raise ConfigError(
                f"{assignment.probes_path} is missing: every assignment needs one "
                "(FUNCTIONS and PROBES dicts, empty if unused)"
            )
        self.assignment = assignment
        self.options = options
        # Loaded once the worker is starting, so that both import torch at the same time.
        self.live_reference: LiveReference | None = None
        # Recorded answers are in every student's release: they serve `grader check` only.
        self.expectations = load_expectations(assignment.expectations_path) if options.mode == CHECK else {}
        self.seed_key = (
            salted(secret_seed_key(options.reference_dir), options.seed_salt)
            if options.mode == GRADE
            else None
        )
        if options.mode == CHECK and not self.expectations:
            raise GraderError(
                f"{assignment.expectations_path} is missing: the public tests "
                f"have no recorded expectations (run `grader record {assignment.name}`)"
            )
        assert head_start is None or options.sandbox is None, "a head start runs unsandboxed"
        self._slot = head_start.slot if head_start is not None else make_slot()
        self._warm: Zygote | None = head_start.zygote if head_start is not None else None
        self._session: PytestSession | None = None
        self._graded = 0
        # Sandboxed, each submission runs in a control group of its own (when one can be made).
        self.cgroups: Cgroups | None = None
        self.cgroup_line = ""  # why there is none, in one line
        if options.sandbox is not None:
            self.cgroups, self.cgroup_line = open_cgroups(
                options.group_memory_mib or self.limits.memory_mib, ResourceLimits().processes
            )

    def _load_reference(self) -> LiveReference:
        folder = self.options.reference_dir
        assert folder is not None, "grade and record need the reference folder"
        try:
            return load_live_reference(self.assignment, folder)
        except Exception as exc:  # noqa: BLE001 - the course's code, whatever it raises
            raise ConfigError(
                f"the reference in {folder} does not load ({type(exc).__name__}: {exc}): "
                "fix it, then grade again"
            ) from exc

    @property
    def limits(self) -> Limits:
        """The assignment's limits, or the ones these options override them with."""
        return self.options.limits or self.assignment.limits

    @property
    def hidden_tests(self) -> Path | None:
        if self.options.mode != GRADE or self.options.reference_dir is None:
            return None
        folder = self.options.reference_dir.resolve() / "tests"
        return folder if folder.is_dir() else None

    def warm_worker(self) -> Zygote:
        """The worker this grader keeps warm across submissions (started on first use)."""
        if self._warm is None:
            self._warm = Zygote(
                worker_spec(
                    self.assignment,
                    self.limits,
                    self._slot,
                    home=self._inside(self._slot),
                    launcher=self._worker_launcher(),
                    isolate=self.options.sandbox is not None,
                    questions=self.options.questions,
                )
            )
        return self._warm

    def _worker_launcher(self) -> Launcher | None:
        """How the worker's command line is started: in bubblewrap when sandboxed."""
        sandbox = self.options.sandbox
        if sandbox is None:
            return None
        return sandbox.launcher(self._slot, self.cgroups.bind_arguments() if self.cgroups else None)

    def start_worker(self) -> None:
        """Start the worker now if it is not running: it imports torch while this process
        goes on (loading the reference, collecting the tests)."""
        self.warm_worker().process()

    def grade(
        self,
        submission: Submission,
        control: RunControl | None = None,
        *,
        seed_salt: str = "",
        bounds: list[Bound] | None = None,
    ) -> tuple[results.SubmissionResult, dict[str, list[dict[str, Any]]]]:
        """Grade one submission; also return what a record run wrote down. `control` steers
        the run: some questions first, told as they end, or cancelled. `seed_salt` draws
        other inputs for this run alone (in `grader grade`; `grader validate`'s draws), and
        `bounds` is given what its tests bounded with expect_at_most."""
        started = time.perf_counter()
        result = results.SubmissionResult(submission.id, self.assignment.name, self.options.mode)
        self.start_worker()
        self._graded += 1
        workdir = self._slot / f"submission-{self._graded}"
        workdir.mkdir()
        try:
            try:
                module_path, result.notes = submission.install(self.assignment, workdir)
            except SubmissionError as exc:
                result.problem = str(exc)
                return result, {}
            with self._uid() as uid:
                if uid is not None:
                    Sandbox.give(workdir, uid)
                group = self.cgroups.group() if self.cgroups is not None else None
                try:
                    run = self._submission_run(submission, module_path, workdir, uid, group)
                    if control is not None:
                        run.control = control
                    run.seed_salt = seed_salt
                    if bounds is not None:
                        run.bounds = bounds
                    run.static_tampering = tampering_by_question(
                        module_path,  # read with every helper module beside it
                        self.assignment.questions,
                        course=self.assignment.folder,
                    )
                    run.start_early()  # forked while a cold grader imports torch
                    session = self.session()
                    reference_before = self._reference_seconds()
                    session.grade(run)
                finally:
                    if group is not None:
                        result.peak_memory_mib = _end_group(group)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        result.tests = run.tests
        result.leaderboard = shown(run.leaderboard, run.tests)
        result.output = run.captured_output
        result.student_seconds = round(run.student_seconds, 4)
        result.reference_seconds = round(self._reference_seconds() - reference_before, 4)
        if self.options.mode == CHECK:
            result.ungraded_hidden_points = self._ungraded_hidden_points()
        result.execution_time = round(time.perf_counter() - started, 3)
        return result, run.recorded

    def _reference_seconds(self) -> float:
        return self.live_reference.seconds if self.live_reference is not None else 0.0

    def session(self) -> PytestSession:
        """The pytest session, started on first use; a cold worker imports torch meanwhile."""
        if self._session is None:
            self.start_worker()
            _torch_ready(self.options.torch_threads)
            if self.options.mode != CHECK and self.live_reference is None:
                self.live_reference = self._load_reference()
            paths = [self.assignment.public_tests]
            if self.hidden_tests is not None:
                paths.append(self.hidden_tests)
            self._session = PytestSession(self._settings(), paths, rootdir=self.assignment.folder)
        return self._session

    def _settings(self) -> GradingSettings:
        return GradingSettings(
            assignment=self.assignment,
            mode=self.options.mode,
            hidden_tests=self.hidden_tests,
            live_reference=self.live_reference,
            expectations=self.expectations,
            run_slow=self.options.run_slow,
            questions=self.options.questions,
            limits=self.limits,
            seed_key=self.seed_key,
        )

    def _inside(self, path: Path) -> Path:
        """Where the worker sees a path of the grader's folder (elsewhere in the sandbox)."""
        if self.options.sandbox is None:
            return path
        return SLOT_INSIDE / path.relative_to(self._slot)

    def close(self) -> None:
        """Stop the warm worker and the pytest session, and remove the grader's folder."""
        if self._warm is not None:
            # A submission still in flight fails fast instead of finishing. A check is never
            # sandboxed: nothing to wait for, and the worker's interpreter teardown costs 1 s.
            self._warm.close(linger=self.options.mode != CHECK)
        if self._session is not None:
            self._session.close()
        if self.cgroups is not None:
            with contextlib.suppress(OSError):  # the next grading process removes what is left
                self.cgroups.close()
        shutil.rmtree(self._slot, ignore_errors=True)

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _uid(self) -> contextlib.AbstractContextManager[int | None]:
        """A uid of the submission's own when sandboxed (no other submission on this host
        holds it meanwhile); none otherwise."""
        return lease_uid() if self.options.sandbox is not None else contextlib.nullcontext(None)

    def _submission_run(
        self,
        submission: Submission,
        module_path: Path,
        workdir: Path,
        uid: int | None,
        group: SubmissionGroup | None = None,
    ) -> SubmissionRun:
        spec = SubmissionSpec(
            module_path=self._inside(module_path),
            module_name=self.assignment.module_name,
            probes_path=self.assignment.probes_path,
            workdir=self._inside(workdir),
            import_seconds=self.limits.import_seconds,
            uid=uid,
            cgroup=group,
        )
        warm = self.warm_worker()
        return SubmissionRun(submission.id, make_pool=lambda: SubmissionWorkers(warm, spec))

    def _ungraded_hidden_points(self) -> float:
        names = self.options.questions or self.assignment.questions.keys()
        return sum(self.assignment.questions[q].hidden for q in names if q in self.assignment.questions)


def _torch_ready(threads: int | None) -> None:
    """Import torch here once the worker is started, so that this process imports it while
    the worker imports its own. Its size checks import no sympy (the reference's
    `grad_outputs`: see grader.worker.shapes_on_demand).

    `threads`: `grader check` runs torch on one thread here, as the worker and `grader grade`'s
    processes do: this process only draws inputs, runs small computations and compares; with
    torch's default of a thread per core its idle OpenMP threads spin between them, on the
    cores the worker needs (about 0.5 CPU s of a check of an assignment that trains)."""
    import torch

    shapes_on_demand.install()
    if threads is not None:
        torch.set_num_threads(threads)


def _end_group(group: SubmissionGroup) -> float | None:
    """The group's peak memory in MiB, read as it ends; then it is removed with whatever
    is left in it."""
    peak = group.peak_bytes()
    # A process that would not die: Grader.close, or the next grader, tries again.
    with contextlib.suppress(OSError):
        group.remove()
    return round(peak / (1024 * 1024), 1) if peak is not None else None


def secret_seed_key(folder: Path | None) -> bytes:
    """The key of every seed in `grader grade`: a digest of the reference folder, which
    students never have, so nobody can compute their inputs from the public code; the same
    files give the same key, so a re-grade draws the same inputs. Files that come and go
    (bytecode, .pytest_cache, .DS_Store) do not count."""
    assert folder is not None, "grading needs the reference folder"
    digest = hashlib.sha256()
    for relative, content in trusted_folder_contents(folder):
        if all(_lasting(part) for part in relative.parts):
            for part in (str(relative).encode("utf-8", "surrogateescape"), content):
                digest.update(len(part).to_bytes(8, "big") + part)
    return digest.digest()


def _lasting(name: str) -> bool:
    return not name.startswith(".") and not name.endswith(".pyc")
