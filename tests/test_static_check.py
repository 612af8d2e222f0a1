"""The static look at a submission's source: doors named in the code a question runs."""

from __future__ import annotations

from pathlib import Path

import pytest

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


BUILT_NAMES = [
    'getattr(f, "__wrap" + "ped__")',
    'getattr(f, "__%s__" % "wrapped")',
    'getattr(f, f"__{PART}__")',
    'getattr(f, "".join(["__wr", "apped__"]))',
    'getattr(f, "_".join(["", "", "wrapped", "", ""]))',
    'getattr(f, "{}{}".format("__wrapped", "__"))',
    'getattr(f, "__depparw__"[::-1])',
    'getattr(f, "".join(reversed("__depparw__")))',
    'getattr(f, "__WRAPPED__".lower())',
    'getattr(f, str.join("", ("__wrapped", "__")))',
    'getattr(f, "__wrapXXed__".replace("XX", "p"))',
    'getattr(f, (part := "__wra") + "pped__")',
    'exec("import sys; f = sys.modules[0].__wrapped__")',
]


@pytest.mark.parametrize("expression", BUILT_NAMES)
def test_a_name_built_from_pieces_counts_as_the_literal(expression: str):
    source = f"""
PART = "wrapped"


def hessian(f, x):
    return {expression}


def hvp(f, x, v):
    return "__wrapped__ is named only in a docstring, and here in a message", x
"""
    assert tampering_by_question(source, QUESTIONS) == {"hessian": ["__wrapped__"]}


def test_a_variable_built_up_by_augmented_assignment_counts():
    source = 'def hessian(f, x):\n    name = "__glo"\n    name += "bals__"\n    return getattr(f, name)\n'
    assert tampering_by_question(source, QUESTIONS) == {"hessian": ["__globals__"]}


def test_numpys_array_interface_built_at_run_time_and_defined_as_a_property():
    source = """
import numpy as np


class View:
    @property
    def __array_interface__(self):
        return {}


def hessian(f, x):
    return np.asarray(View())


def hvp(f, x, v):
    return getattr(np.zeros(1), "__array_" + "interface__")


def gradient_penalty(f, x):
    return setattr(f, "__array_" "struct__", 0)
"""
    assert tampering_by_question(source, QUESTIONS) == {
        "hessian": ["__array_interface__"],
        "hvp": ["__array_interface__"],
        "gradient_penalty": ["__array_struct__"],
    }


@pytest.mark.parametrize(
    "line",
    [
        "import marshal",
        "code = __import__('mar' + 'shal').loads(b'')",
        "import importlib; importlib.import_module('_' + 'imp')._fix_co_filename(None, '')",
        "pointer = x.data_ptr()",
    ],
)
def test_marshal_imp_and_data_pointers_are_doors(line: str):
    assert tampering_by_question(f"def hessian(f, x):\n    {line}\n", QUESTIONS) != {}


def test_a_helper_module_of_a_folder_submission_counts_for_every_question(tmp_path: Path):
    module = tmp_path / "second_order.py"
    module.write_text("from helpers import tools\n\n\ndef hessian(f, x):\n    return tools.peek(f)\n")
    (tmp_path / "helpers").mkdir()
    (tmp_path / "helpers" / "tools.py").write_text(
        '"""Docstrings may say ctypes."""\n\n\ndef peek(f):\n    return getattr(f, "__glo" + "bals__")\n'
    )
    (tmp_path / "notes.py").write_text("if __name__ == '__main__':\n    import ctypes\n")
    assert tampering_by_question(module, QUESTIONS) == {q: ["__globals__"] for q in QUESTIONS}
    (tmp_path / "helpers" / "tools.py").write_text("def peek(f):\n    return f\n")
    assert tampering_by_question(module, QUESTIONS) == {}


def test_the_courses_own_files_and_what_cannot_be_imported_are_not_the_students(tmp_path: Path):
    """A repository made from the release holds the course's tests and probes (which name the
    grader) beside the student's module: they are not the student's code."""
    course = tmp_path / "course"
    (course / "tests").mkdir(parents=True)
    probes = "from grader.testing import probe\n\nPROBES = {}\n"
    (course / "tests" / "probes.py").write_text(probes)
    repository = tmp_path / "repository"
    (repository / "tests").mkdir(parents=True)
    (repository / ".grader").mkdir()
    (repository / "tests" / "probes.py").write_text(probes)
    (repository / ".grader" / "checks.py").write_text(probes)
    (repository / "not-a-package").mkdir()
    (repository / "not-a-package" / "helper.py").write_text(probes)
    module = repository / "second_order.py"
    module.write_text("def hessian(f, x):\n    return x\n")
    assert tampering_by_question(module, QUESTIONS, course=course) == {}
    (repository / "tests" / "probes.py").write_text(probes + "import ctypes\nctypes.pythonapi\n")
    assert tampering_by_question(module, QUESTIONS, course=course) == {
        q: ["PROBES", "ctypes", "grader", "pythonapi"] for q in QUESTIONS
    }


def test_the_modules_docstring_is_prose_as_a_functions_is():
    source = '"""Notes: `__globals__` reaches far."""\n\ndef hvp(f, x, v):\n    """See __wrapped__."""\n    return x\n'
    assert tampering_by_question(source, ["hvp"]) == {}
    assert tampering_by_question(source + "\nDOOR = '__globals__'\n", ["hvp"]) == {"hvp": ["__globals__"]}
