"""`check()` inside a notebook: the executed cells are graded, the calls to check left out."""

from __future__ import annotations

import sys
import types

import pytest

from grader import check
from grader.errors import GraderError
from grader.jupyter import without_checks
from tests.conftest import SUBMISSIONS

CORRECT = (SUBMISSIONS / "second_order" / "correct_compact.py").read_text()


@pytest.fixture
def fake_kernel(monkeypatch):
    """An IPython shell whose history is what a student ran."""
    shell = types.SimpleNamespace(user_ns={"In": [""]})
    module = types.ModuleType("IPython")
    module.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", module)
    return shell.user_ns["In"]


def test_check_grades_the_running_notebook(fake_kernel, capsys):
    imports, rest = CORRECT.split("\n\n\n", 1)
    fake_kernel += [
        "%matplotlib inline\n" + imports,
        rest,
        "from grader import check\ncheck('second_partials')",
    ]
    result = check("second_partials")
    assert {t.question for t in result.tests} == {"second_partials"}
    assert result.score == pytest.approx(8) and result.all_passed
    assert "Public tests: 8/8 points" in capsys.readouterr().out


def test_check_reports_failures_of_the_notebook(fake_kernel, capsys):
    fake_kernel += ["import torch\ndef first_order_grads(x, y):\n    return x, y"]
    result = check()
    assert result.assignment == "second_order"
    statuses = {q.question: q.status for q in result.questions()}
    assert statuses["first_order_grads"] == "failed"
    assert statuses["hessian"] == "not attempted"


def test_check_outside_jupyter_says_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython", None)
    with pytest.raises(GraderError, match="grader check"):
        check("hvp")


def test_the_grader_is_left_out_of_the_module_and_check_does_nothing():
    """Grader imports become names bound to a stand-in whose calls do nothing; everything
    else (decorators, comments, line numbers, `result = check()`) stays as it was."""
    source = (
        "import grader\nfrom grader import check as c, check\nx = 1  # kept\n"
        "check('hvp')\nresult = c()\ngrader.jupyter.check()\n"
    )
    kept = without_checks(source)
    assert "import grader" not in kept and "from grader" not in kept
    assert kept.splitlines()[2:] == source.splitlines()[2:]
    namespace: dict = {}
    exec(compile(kept, "cell", "exec"), namespace)  # noqa: S102 - our own test text
    assert namespace["x"] == 1 and namespace["result"] is None
