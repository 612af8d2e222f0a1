"""The static look at a submission's source: doors named in the code a question runs."""

from __future__ import annotations

from grader.static_check import tampering_by_question
from tests.conftest import SUBMISSIONS

QUESTIONS = ["hessian", "hvp", "gradient_penalty"]


def test_a_door_counts_for_the_questions_that_reach_it():
    source = '''
import sys
import ctypes  # an unused import does not count


def _helper(f):
    return f.__wrapped__


def hessian(f, x):
    """Docstrings and # comments may say __wrapped__ or sys._getframe."""
    return _helper(f)(x)


def hvp(f, x, v):
    return sys.modules["grader_probes"]


def gradient_penalty(f, x):
    return 0


if __name__ == "__main__":
    sys._getframe()
'''
    assert tampering_by_question(source, QUESTIONS) == {"hessian": ["__wrapped__"], "hvp": ["grader_probes"]}


def test_module_level_code_counts_for_every_question():
    found = tampering_by_question("import gc\ngc.get_referrers(object)\n", QUESTIONS)
    assert found == {q: ["get_referrers"] for q in QUESTIONS}


def test_correct_and_mistaken_submissions_name_no_door():
    for path in sorted(SUBMISSIONS.glob("*/*.py")):
        if path.parent.name in ("second_order", "maml"):
            names = [
                "first_order_grads",
                "second_partials",
                "grads_without_zeroing",
                *QUESTIONS,
                "inner_update",
                "adapt",
                "meta_loss",
                "meta_train",
            ]
            assert tampering_by_question(path.read_text(), names) == {}, path


def test_unparsable_source_is_left_to_the_import():
    assert tampering_by_question("def hessian(:\n", QUESTIONS) == {}


def test_a_door_the_audit_hook_cannot_see_still_costs_the_question(tmp_path):
    """Reading a function's __globals__ raises no audit event; the source shows it."""
    from grader.course.assignment import find_assignment
    from grader.grading import GRADE, Grader, GradingOptions
    from grader.intake.submission import Submission
    from tests.conftest import REFERENCE

    source = (
        (SUBMISSIONS / "second_order" / "correct_compact.py")
        .read_text()
        .replace("def hessian(f, x):\n", "def hessian(f, x):\n    trusted = f.__globals__\n")
    )
    path = tmp_path / "second_order.py"
    path.write_text(source)
    with Grader(
        find_assignment("second_order"), GradingOptions(mode=GRADE, reference_dir=REFERENCE / "second_order")
    ) as grader:
        result, _ = grader.grade(Submission.at(path))
    scores = {q.question: q.score for q in result.questions()}
    assert scores["hessian"] == 0 and result.score == 80
    assert {t.misconception for t in result.tests if t.question == "hessian"} == {"tampering"}


def test_numpys_raw_memory_doors_are_named():
    """An array over any address (numpy's array interface, ctypeslib) reads any object of the
    worker with no audit event: only the source shows it."""
    source = """
import numpy as np


class _View:
    pass


def _words(address):
    view = _View()
    view.__array_interface__ = {"data": (address, True), "shape": (8,), "typestr": "<u8"}
    return np.asarray(view)


def hessian(f, x):
    return _words(id(f))


def hvp(f, x, v):
    return np.ctypeslib.as_array(id(f), (8,))
"""
    assert tampering_by_question(source, QUESTIONS) == {
        "hessian": ["__array_interface__"],
        "hvp": ["ctypeslib"],
    }
