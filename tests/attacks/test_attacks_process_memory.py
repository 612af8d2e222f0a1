"""A question's own memory, opened as a file, is a door however its name is written.

`/proc/self/mem` gives read and write access to every byte of the question process: the
recorders, the witnesses, the heartbeat's nonce. The audit hook named it, but only written
exactly so: `/proc/self/./mem`, `//proc/self/mem` and `mem` opened beside a descriptor of
/proc/self (the `open` event does not show the folder) went unseen. hostile_proc_mem reads
its own memory through each in one question (hvp, hessian, gradient_penalty), and is
otherwise correct: those questions score zero with `tampering`, the others keep their points,
and the correct submission graded beside it is untouched.

In the bubblewrap sandbox the kernel refuses the open as well (the question process may not
read its own memory there), so the check is what stands where no sandbox does: without one
(`grader check`, `grader grade --no-sandbox`) each spelling read the process's memory and the
questions kept full marks.
"""

from __future__ import annotations

import pytest

from grader.course.assignment import find_assignment
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from tests.conftest import REFERENCE, SANDBOX_GROUP, SUBMISSIONS, full_marks
from tests.sandbox.test_isolation import question_scores, sandboxed_grader

pytestmark = [pytest.mark.slow, SANDBOX_GROUP]

FULL = full_marks("second_order")
OPENED = ("hessian", "hvp", "gradient_penalty")


def unsandboxed_grader() -> Grader:
    return Grader(
        find_assignment("second_order"),
        GradingOptions(mode=GRADE, reference_dir=REFERENCE / "second_order", sandbox=None),
    )


@pytest.mark.parametrize("make", [sandboxed_grader, unsandboxed_grader], ids=["sandboxed", "no-sandbox"])
def test_process_memory_opened_under_another_name_is_tampering(make):
    with make("second_order") if make is sandboxed_grader else make() as grader:
        hostile, _ = grader.grade(Submission.at(SUBMISSIONS / "hostile_proc_mem" / "second_order.py"))
        control, _ = grader.grade(Submission.at(SUBMISSIONS / "second_order" / "correct_compact.py"))
    assert question_scores(control) == FULL
    assert question_scores(hostile) == {q: 0 if q in OPENED else p for q, p in FULL.items()}
    for question in OPENED:
        codes = {t.misconception for t in hostile.tests if t.question == question}
        assert codes == {"tampering"}, (question, codes)


@pytest.mark.parametrize(
    "path",
    [
        "/proc/self/./mem",
        "//proc/self/mem",
        "/./proc/self/mem",
        "/proc/self/../self/mem",
        "/proc/self/root/proc/self/mem",
        "/proc/self/cwd/mem",
        "/dev/fd/3",
        "mem",
        "proc/self/mem",
    ],
)
def test_each_spelling_of_a_process_door_is_named(path):
    from grader.worker.process_doors import is_process_memory as _is_process_memory

    assert _is_process_memory(path)


@pytest.mark.parametrize(
    "path", ["/proc/cpuinfo", "/proc/self/status", "data/x.csv", "/usr/lib/python3.11/os.py"]
)
def test_ordinary_files_are_not_process_doors(path):
    from grader.worker.process_doors import is_process_memory as _is_process_memory

    assert not _is_process_memory(path)
