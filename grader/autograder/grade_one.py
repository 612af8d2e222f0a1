"""Grade the one submission of a Gradescope container and write its results.json.

Run by :mod:`grader.autograder.supervise` as root, in the trusted process: it loads the
reference, picks the confinement, grades with the assignment's tests (time limits count the
submission's own CPU time, so a half CPU costs no question), and writes the document. Whatever goes wrong here, a
results.json that says what happened is written; what student code printed goes to stdout,
which Gradescope shows to instructors only.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.autograder.confinement import ContainerConfinement, holds_sys_admin, seccomp_problem
from grader.autograder.cpu_share import cpu_share
from grader.autograder.layout import Layout
from grader.autograder.metadata import SubmissionMetadata
from grader.autograder.results_document import as_json, failure_document, results_document
from grader.autograder.settings import AutograderSettings
from grader.course.assignment import Assignment
from grader.errors import GraderError
from grader.head_start import HeadStart
from grader.intake.files import write_text_atomic
from grader.intake.submission import Submission
from grader.sandbox.bubblewrap import Sandbox
from grader.sandbox.cgroups import open_cgroups
from grader.sandbox.uid_pool import lease_uid
from grader.wire.limits import ResourceLimits

if TYPE_CHECKING:
    from grader.grading import Grader, GradingOptions
    from grader.results import SubmissionResult

TRUSTED_MIB = 352
"""What the grading process itself holds (torch, pytest, the reference): the worker's control
group gets the container's memory less this, so the kernel kills student code first."""
PRINTED_SHOWN = 16384


def grade(
    layout: Layout, stack: ExitStack, *, submission: Path | None = None, student_key: str | None = None
) -> tuple[dict[str, Any], SubmissionResult]:
    """Grade the submission in `layout` (or the one given) and return its results document."""
    settings = AutograderSettings.read(layout.settings)
    assignment = Assignment.load(layout.public / settings.assignment)
    metadata = (
        SubmissionMetadata.read(layout.metadata) if student_key is None else SubmissionMetadata(student_key)
    )
    if metadata.problem:
        print(f"note: {metadata.problem}; hidden inputs are drawn for {metadata.student_key}")
    share = cpu_share()
    grader = stack.enter_context(_grader(assignment, layout.reference / settings.assignment, settings, stack))
    print(f"cpu share {share:g}: time limits count the submission's own CPU time")
    path = submission or submission_path(layout.submission)
    result, _ = grader.grade(Submission(metadata.student_key, path))
    _report_to_instructor(result)
    return results_document(result, hidden_visibility=settings.hidden_visibility), result


def _grader(
    assignment: Assignment, reference: Path, settings: AutograderSettings, stack: ExitStack
) -> Grader:
    """Bubblewrap where it works; otherwise the container's confinement, with the confined
    worker started before pytest and the grader are imported, so that its import of torch
    runs beside theirs (every Gradescope submission is a cold start)."""
    if holds_sys_admin():
        try:
            sandbox = Sandbox.require(assignment)
        except GraderError as exc:
            print(f"bubblewrap not used: {exc}")
        else:
            print("confinement: bubblewrap (namespaces, a uid per submission, control group where possible)")
            from grader.grading import Grader

            return Grader(assignment, dataclasses.replace(_options(assignment, reference), sandbox=sandbox))
    confinement = container_confinement(settings, stack)
    print(confinement.layers())
    head_start = HeadStart.begin(assignment, launcher=confinement.launcher)
    try:
        from grader.autograder.container_grader import ContainerGrader

        return ContainerGrader(assignment, _options(assignment, reference), confinement, head_start)
    except BaseException:
        head_start.close()
        raise


def _options(assignment: Assignment, reference: Path) -> GradingOptions:
    """Grade mode with the reference in `reference` (the grader is imported here, once the
    worker is starting)."""
    from grader.grading import GRADE, GradingOptions

    return GradingOptions(
        mode=GRADE,
        reference_dir=reference,
        limits=assignment.limits,  # charged to the submission's own CPU time, not the wall
        run_slow=True,  # as `grader grade`: a slow test carries points too
        torch_threads=1,
    )


def container_confinement(settings: AutograderSettings, stack: ExitStack) -> ContainerConfinement:
    """Lease a uid, make the worker's group where the hierarchy is writable, probe the filter."""
    uid = stack.enter_context(lease_uid())
    group_mib = max(settings.memory_mib - TRUSTED_MIB, 256)
    cgroups, why_not = open_cgroups(group_mib, ResourceLimits().processes, sandboxed=False)
    group = None
    if cgroups is not None:
        stack.callback(_close_quietly, cgroups.close)
        group = cgroups.group()
    return ContainerConfinement(uid, seccomp_problem(), group, why_not)


def submission_path(folder: Path) -> Path:
    """What the student uploaded: the folder, or the one zip it holds (Gradescope unpacks a
    zip uploaded directly, not one that came through another route)."""
    try:
        entries = [e for e in os.scandir(folder) if not e.name.startswith(".")]
    except OSError:
        return folder
    if len(entries) == 1 and entries[0].name.endswith(".zip") and entries[0].is_file(follow_symlinks=False):
        return Path(entries[0].path)
    return folder


def _report_to_instructor(result: SubmissionResult) -> None:
    peak = f"{result.peak_memory_mib} MiB" if result.peak_memory_mib is not None else "not measured"
    print(
        f"graded {len(result.tests)} tests in {result.execution_time:.1f} s "
        f"(student code {result.student_seconds:.1f} s, reference {result.reference_seconds:.1f} s); "
        f"worker group peak memory {peak}"
    )
    for test in result.tests:
        if not test.passed:
            print(f"  {test.status}: {test.name} ({test.question})")
    if result.output.strip():
        print(f"what the submission printed (instructors only):\n{result.output[:PRINTED_SHOWN]}")


def _close_quietly(close: Any) -> None:
    with suppress(OSError):
        close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.autograder.grade_one")
    parser.add_argument("--root", type=Path, default=None)
    options = parser.parse_args(argv)
    layout = Layout(options.root) if options.root else Layout.from_environment()
    started = time.monotonic()
    with ExitStack() as stack:
        try:
            document, _ = grade(layout, stack)
        except GraderError as exc:
            document = failure_document(str(exc), time.monotonic() - started)
        except Exception as exc:  # noqa: BLE001 - a results.json that says so, always
            document = failure_document(
                f"the grader failed ({type(exc).__name__}: {exc})", time.monotonic() - started
            )
        write_text_atomic(layout.results_json, as_json(document))
    sys.stdout.flush()
    return 0


def _exit_now(code: int) -> None:
    """End without the interpreter's teardown: results.json is written and every clean-up
    has run, and walking torch's objects to free them would add about 0.3 s to each
    submission's wait (Gradescope starts a container per submission)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())
