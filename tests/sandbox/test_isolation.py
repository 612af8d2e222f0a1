"""One submission cannot change another's grade, and forging a verdict gains nothing.

Graded in the bubblewrap sandbox, as `grader grade` does by default:
- a takeover attempt (forged frames on every descriptor, a daemon that outlives its
  question, other students' folders read, the relay signalled), a disk filler and a late
  printer, followed by three correct students: every correct one scores 100, with one
  grading process and with two;
- forgeries of each verdict computed beside student code (a swapped probe, a silenced input
  guard, a forbidden helper reached around its recorder, a self-restoring torch function),
  each against its honest control: never more than the control, and the attacked question
  carries the code `tampering` (or `forbidden_api`).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from rich.console import Console

from grader.batch import BatchSettings, grade_all
from grader.commands.grade import grade_batch
from grader.course.assignment import Limits, find_assignment
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.sandbox.bubblewrap import Sandbox
from grader.sandbox.uid_pool import leased_uids
from tests.attacks.test_hostile import sandbox_or_skip, sandbox_processes
from tests.conftest import REFERENCE, SANDBOX_GROUP, SUBMISSIONS, full_marks

pytestmark = [pytest.mark.slow, SANDBOX_GROUP]

ISOLATION = SUBMISSIONS / "isolation"
FORGERIES = SUBMISSIONS / "forgeries"
CORRECT = [
    SUBMISSIONS / "second_order" / name
    for name in ("correct_compact.py", "correct_backward_style.py", "correct_compact.py")
]
LATE = "LATE-OUTPUT-FROM-ANOTHER-SUBMISSION"
FULL_SCORE = sum(full_marks("second_order").values())


def sandboxed_grader(name: str) -> Grader:
    sandbox_or_skip()
    assignment = find_assignment(name)
    return Grader(
        assignment,
        GradingOptions(
            mode=GRADE,
            reference_dir=REFERENCE / name,
            sandbox=Sandbox.require(assignment),
            limits=Limits(call_seconds=10, import_seconds=30, memory_mib=2048),
        ),
    )


def hostile_then_correct(folder: Path) -> list[Submission]:
    """The hostile submissions first (in this order), then three correct students."""
    paths = []
    for index, name in enumerate(("takeover.py", "late_printer.py", "disk_filler.py")):
        paths.append(shutil.copy(ISOLATION / name, folder / f"{index}_{name}"))
    for index, path in enumerate(CORRECT):
        paths.append(shutil.copy(path, folder / f"student_{index}.py"))
    return [Submission.at(Path(p)) for p in paths]


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB filesystem for the grader's folders and its output, if one can be mounted."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        if os.environ.get("GRADER_REQUIRE_SANDBOX"):
            pytest.fail(f"cannot mount a small tmpfs: {done.stderr.decode().strip()}")
        pytest.skip("cannot mount a small filesystem here")
    old = tempfile.tempdir
    tempfile.tempdir = str(mount)
    try:
        yield mount
    finally:
        tempfile.tempdir = old
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def uid_locks(tmp_path, monkeypatch):
    """This test's own uid lock folder, so that its uids can be told from other batches'."""
    locks = tmp_path / "uid-locks"
    monkeypatch.setenv("GRADER_UID_LOCKS", str(locks))
    return locks


def test_hostile_submissions_cannot_touch_the_students_after_them(tmp_path, small_disk, uid_locks):
    submissions = hostile_then_correct(tmp_path)
    out = small_disk / "out"
    with sandboxed_grader("second_order") as grader:
        results = {
            r.submission_id: r for r in grade_batch(grader, submissions, out, Console(file=io.StringIO()))
        }
    for index in range(3):
        student = results[f"student_{index}"]
        assert student.score == FULL_SCORE, [t.message for t in student.tests if not t.passed]
        assert LATE not in student.output and "STOLEN" not in student.output
    for name in ("0_takeover", "1_late_printer", "2_disk_filler"):
        assert results[name].score == 0
    assert len(leased_uids(uid_locks)) == 6  # a uid of its own for each submission
    assert sandbox_processes(leased_uids(uid_locks)) == []
    assert len(list(out.glob("*/results.json"))) == 6
    assert shutil.disk_usage(small_disk).used < 4 * 2**20  # nothing the filler wrote is here


def test_a_takeover_cannot_touch_the_students_after_it_with_two_grading_processes(tmp_path, uid_locks):
    sandbox_or_skip()
    submissions = hostile_then_correct(tmp_path)
    del submissions[1:3]
    settings = BatchSettings(find_assignment("second_order").folder, REFERENCE / "second_order", sandbox=True)
    results = {r.submission_id: r for r in grade_all(settings, submissions, jobs=2)}
    assert results["0_takeover"].score == 0
    assert [results[f"student_{i}"].score for i in range(3)] == [FULL_SCORE] * 3
    assert sandbox_processes(leased_uids(uid_locks)) == []


SECOND_ORDER_FORGERIES = {
    # forgery: (honest control, the questions it attacks)
    "probe_swap": ("missing_create_graph", ["gradient_penalty"]),
    "frame_walk": ("changes_inputs", ["first_order_grads"]),
    "gc_input_guard": (
        "changes_inputs",
        [
            "first_order_grads",
            "second_partials",
            "grads_without_zeroing",
            "hessian",
            "hvp",
            "gradient_penalty",
        ],
    ),
    "helper_escape": ("forbidden_helper", ["hessian"]),
    "record_splice": ("changes_inputs", ["first_order_grads"]),
    "record_pipe_swap": ("forbidden_helper", ["hessian"]),
    "inspect_trace": ("missing_create_graph", ["gradient_penalty"]),
    "torch_function_mode": ("changes_inputs", ["first_order_grads"]),
    "hook_window": ("forbidden_helper", ["hessian"]),
}


def question_scores(result) -> dict[str, float]:
    return {q.question: q.score for q in result.questions()}


def assert_gains_nothing(forged, control, attacked: list[str]) -> None:
    assert forged.score <= control.score, (forged.score, control.score)
    for question in attacked:
        assert question_scores(forged)[question] == 0, question
        codes = {t.misconception for t in forged.tests if t.question == question}
        assert codes & {"tampering", "forbidden_api"}, (question, codes)


def test_forging_a_verdict_gains_nothing():
    with sandboxed_grader("second_order") as grader:
        for forgery, (control, attacked) in SECOND_ORDER_FORGERIES.items():
            forged, _ = grader.grade(Submission.at(FORGERIES / f"{forgery}.py"))
            honest, _ = grader.grade(Submission.at(SUBMISSIONS / "second_order" / f"{control}.py"))
            assert_gains_nothing(forged, honest, attacked)


def test_maml_forgeries_gain_nothing():
    with sandboxed_grader("maml") as grader:
        forged, _ = grader.grade(Submission.at(FORGERIES / "self_restoring_autograd.py"))
        rerouted, _ = grader.grade(Submission.at(FORGERIES / "student_forward.py"))
        honest, _ = grader.grade(Submission.at(SUBMISSIONS / "maml" / "detached_params.py"))
        hidden, _ = grader.grade(Submission.at(FORGERIES / "mode_hides_training_in_place.py"))
        in_place, _ = grader.grade(
            Submission.at(SUBMISSIONS / "maml" / "meta_train_trains_callers_params.py")
        )
    assert_gains_nothing(forged, honest, ["adapt"])
    assert_gains_nothing(hidden, in_place, ["meta_train"])
    # probes differentiate through the given forward, never the submission's
    for question in ("inner_update", "adapt"):
        assert question_scores(rerouted)[question] <= question_scores(honest)[question]


def test_the_recorded_answers_are_not_in_the_sandbox(tmp_path):
    """expected.json serves `grader check` only: inside the sandbox it cannot be read (a
    device is bound over it) or reads as empty."""
    expected = find_assignment("second_order").expectations_path.resolve()
    spy = tmp_path / "spy.py"
    spy.write_text(
        f"def first_order_grads(x, y):\n"
        f"    raise RuntimeError('bytes seen: %d' % len(open({str(expected)!r}, 'rb').read()))\n"
    )
    with sandboxed_grader("second_order") as grader:
        result, _ = grader.grade(Submission.at(spy))
    assert expected.stat().st_size > 1000
    messages = {t.message for t in result.tests if t.question == "first_order_grads"}
    assert messages and all("bytes seen: 0" in m or "Permission denied" in m for m in messages), messages
