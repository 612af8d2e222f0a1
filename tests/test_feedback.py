"""The grader's own checks give the grader's own codes: an assignment whose catalogue names its
mistakes in other words still gets a failed test that says what went wrong, never a grader
error about a code it never chose."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from grader.course.assignment import Assignment
from grader.course.misconceptions import CHANGED_INPUTS, FORBIDDEN_HELPER, GRADER_CODES, Catalogue
from grader.grading import CHECK, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.outputs.submission_report import SubmissionReport
from grader.results import FAILED, GRADER_ERROR
from tests.conftest import ASSIGNMENTS, SUBMISSIONS

OWN_WORDS = """
[mutated_arguments]
title = "the arguments were modified"
explanation = "Copy what you are given before changing it."

[ready_made_hessian]
title = "a library computed the Hessian"
explanation = "Differentiate twice yourself."
"""


def without_tables(text: str, names: list[str]) -> str:
    """A TOML catalogue without the tables `names` (each up to the next table)."""
    for name in names:
        text = re.sub(rf"(?ms)^\[{name}\]\n.*?(?=^\[|\Z)", "", text)
    return text


@pytest.fixture
def renamed_catalogue(tmp_path: Path) -> Path:
    """`second_order`, its catalogue naming its mistakes in its own words: none is called
    what the grader's checks call a changed input or a forbidden helper."""
    folder = tmp_path / "second_order"
    shutil.copytree(ASSIGNMENTS / "second_order", folder, ignore=shutil.ignore_patterns("__pycache__"))
    catalogue = folder / "misconceptions.toml"
    text = without_tables(catalogue.read_text(), [CHANGED_INPUTS, FORBIDDEN_HELPER])
    catalogue.write_text(text + OWN_WORDS)
    assert f"[{CHANGED_INPUTS}]" not in text and f"[{FORBIDDEN_HELPER}]" not in text
    return folder


def report_text(result, catalogue: Catalogue) -> str:
    stream = io.StringIO()
    Console(file=stream, width=200, color_system=None).print(SubmissionReport(result, catalogue=catalogue))
    return stream.getvalue()


@pytest.mark.slow
def test_an_assignment_with_other_codes_still_gets_the_graders_feedback(renamed_catalogue):
    assignment = Assignment.load(renamed_catalogue)
    options = GradingOptions(mode=CHECK, questions=frozenset({"first_order_grads", "hessian"}))
    with Grader(assignment, options) as grader:
        changes, _ = grader.grade(Submission("changes", SUBMISSIONS / "second_order" / "changes_inputs.py"))
        helper, _ = grader.grade(Submission("helper", SUBMISSIONS / "second_order" / "forbidden_helper.py"))
    for result in (changes, helper):
        assert not [t.message for t in result.tests if t.status == GRADER_ERROR]
    changed = [t for t in changes.tests if t.misconception == CHANGED_INPUTS]
    assert changed and {t.question for t in changed} == {"first_order_grads"}
    assert all(t.status == FAILED and "changed its inputs" in t.message for t in changed)
    forbidden = [t for t in helper.tests if t.misconception == FORBIDDEN_HELPER]
    assert forbidden and {t.question for t in forbidden} == {"hessian"}
    assert all(t.status == FAILED and "does not allow" in t.message for t in forbidden)
    shown = report_text(changes, assignment.misconceptions)
    assert f"Recognised mistake: {GRADER_CODES[CHANGED_INPUTS].title} ({CHANGED_INPUTS})" in shown


def test_a_catalogue_may_explain_the_graders_checks_in_its_own_words(tmp_path):
    (tmp_path / "misconceptions.toml").write_text(
        f'[{FORBIDDEN_HELPER}]\ntitle = "a ready-made Hessian"\nexplanation = "Use double backward."\n'
    )
    catalogue = Catalogue.load(tmp_path, {"hessian"})
    explained = catalogue.explain(FORBIDDEN_HELPER)
    assert explained is not None and explained.title == "a ready-made Hessian"
    assert catalogue.explain(CHANGED_INPUTS) == GRADER_CODES[CHANGED_INPUTS]


def test_a_float_is_compared_within_float64s_tolerance_not_bit_for_bit():
    """A loss kept as a Python float (`loss.item()`) and summed in another order differs in
    its last bits: no mistake. A real difference, or something that is no number, is one."""
    from grader.feedback import difference

    assert difference(0.1 + 0.2, 0.3, "history[0]") == ""
    assert difference([1.0, 0.30000000000000004], [1.0, 0.3], "history") == ""
    assert "history[1] differs" in difference([1.0, 0.31], [1.0, 0.3], "history")
    assert difference("0.3", 0.3, "loss") == "loss is '0.3', expected a number near 0.3"
    assert difference(True, 1.0, "loss").startswith("loss is True")
    assert difference(3, 3, "count") == "" and difference(3, 4, "count") == "count is 3, expected 4"
