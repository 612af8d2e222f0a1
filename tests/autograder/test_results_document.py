"""results.json for Gradescope: within its specification, and hidden tests kept hidden."""

from __future__ import annotations

import json

import jsonschema
import pytest

from grader import results
from grader.autograder.results_document import as_json, failure_document, results_document
from grader.outputs.adjustments import points
from grader.results import GradedTest, SubmissionResult
from tests.autograder.schema import validate

SECRET_INPUT = "tensor([0.1234, 5.678])"


def graded() -> SubmissionResult:
    result = SubmissionResult("gs-1", "second_order", results.Mode.GRADE)
    result.tests = [
        GradedTest("public one", "t::a", "hvp", results.VISIBLE, 4.0, 4.0, results.PASSED),
        GradedTest(
            "public two", "t::b", "hvp", results.VISIBLE, 2.0, 0.0, results.FAILED, "got 1, expected 2", "tb"
        ),
        GradedTest(
            "hidden one",
            "h::a",
            "hvp",
            results.HIDDEN,
            6.0,
            0.0,
            results.FAILED,
            f"hvp({SECRET_INPUT}) differs: got 3, expected 4",
            "trace",
            "wrong_sign",
        ),
        GradedTest("hidden two", "h::b", "hessian", results.HIDDEN, 8.0, 8.0, results.PASSED),
    ]
    result.output = "student printed this\x1b[2J"
    return result


@pytest.mark.parametrize("visibility", ["after_due_date", "after_published", "hidden"])
def test_a_graded_submission_is_within_the_specification(visibility):
    document = results_document(graded(), hidden_visibility=visibility)
    validate(json.loads(as_json(document)))
    assert [t["visibility"] for t in document["tests"]] == ["visible", "visible", visibility, visibility]
    assert document["score"] == sum(t.score for t in graded().tests)


def test_nothing_visible_tells_a_hidden_test_or_the_total():
    document = results_document(graded(), hidden_visibility="after_due_date")
    text = as_json(document)
    assert SECRET_INPUT not in text and "expected 4" not in text and "trace" not in text
    hidden = [t for t in document["tests"] if t["visibility"] != "visible"]
    assert [t["output"] for t in hidden] == [
        "[failed] hidden test of hvp: recognised mistake wrong_sign",
        "[passed] hidden test of hessian",
    ]
    assert "Public tests: 4/6 points" in document["output"]
    assert points(document["score"]) not in document["output"], "the total would count hidden points"
    assert "student printed" not in text, "printed output goes to the instructors' stdout only"
    public_failure = document["tests"][1]["output"]
    assert "got 1, expected 2" in public_failure and "tb" in public_failure


def test_a_failure_is_a_valid_zero_with_one_line():
    document = failure_document("the grader did not finish\x1b]52;c;x\x07", 12.5)
    validate(json.loads(as_json(document)))
    assert document["score"] == 0 and document["tests"] == []
    assert "\x1b" not in document["output"] and "did not finish" in document["output"]


def test_the_schema_refuses_what_gradescope_would():
    """The schema can fail: fields outside the specification and unknown words are refused."""
    good = results_document(graded(), hidden_visibility="after_due_date")
    for broken in (
        {**good, "visibility": "sometimes"},
        {**good, "tests": [{**good["tests"][0], "question": "hvp"}]},
        {**good, "total": 3},
        {"output": "no score anywhere", "tests": [{"name": "x"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)


def test_leaderboard_entries_are_within_the_specification():
    result = graded()
    result.leaderboard = [{"name": "loss\x1b[2J", "value": 0.25, "order": "asc"}]
    document = results_document(result, hidden_visibility="after_due_date")
    validate(json.loads(as_json(document)))
    assert document["leaderboard"] == [{"name": "loss\\x1b[2J", "value": 0.25, "order": "asc"}]
    assert "leaderboard" not in results_document(graded(), hidden_visibility="after_due_date")
