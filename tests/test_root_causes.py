"""Root causes across calls: a failing test of a question names a recognised mistake in a
function it calls ([calls] in assignment.toml), without changing any score."""

from __future__ import annotations

import pytest

from grader import results
from grader.course.assignment import Assignment
from grader.course.misconceptions import Misconception
from grader.errors import ConfigError
from grader.root_causes import name_root_causes, reachable
from grader.verdicts import TAMPERING
from tests.conftest import ASSIGNMENTS

CALLS = {
    "adapt": ("inner_update",),
    "meta_loss": ("adapt", "inner_update"),
    "meta_train": ("meta_loss", "adapt", "inner_update"),
}
TITLES = {
    "in_place_update": "parameters or inputs changed in place",
    "wrong_sign": "gradient ascent instead of descent",
    "sum_instead_of_mean": "the meta-loss summed over tasks instead of averaged",
}


def explain(code):
    return Misconception(code, TITLES[code], "") if code in TITLES else None


def graded(question, status=results.FAILED, misconception=None, message="it failed", score=0.0):
    return results.GradedTest(
        name=f"{question} test",
        nodeid=f"t::{question}",
        question=question,
        visibility=results.VISIBLE,
        max_score=5.0,
        score=score,
        status=status,
        message=message,
        misconception=misconception,
    )


def test_a_caller_that_did_not_learn_names_the_callee_and_its_code():
    tests = [
        graded("inner_update", misconception="in_place_update"),
        graded(
            "meta_train",
            message="after 2000 meta-steps the held-out loss is 0.79 of "
            "the untrained: it should be at most 0.5 of it",
        ),
    ]
    name_root_causes(tests, CALLS, explain)
    assert tests[1].misconception == "in_place_update"
    assert tests[1].message == (
        "after 2000 meta-steps the held-out loss is 0.79 of the untrained: it should be at most "
        "0.5 of it. The cause may be in a function meta_train calls: your inner_update shows a "
        "recognised mistake, parameters or inputs changed in place (in_place_update)"
    )
    assert tests[1].score == 0 and tests[1].status == results.FAILED
    assert tests[0].message == "it failed"  # the callee's own test is left as it was


def test_the_function_where_the_mistake_starts_is_named():
    """adapt and inner_update both show wrong_sign: inner_update, which adapt calls, is named."""
    tests = [
        graded("adapt", misconception="wrong_sign"),
        graded("inner_update", misconception="wrong_sign"),
        graded("meta_loss"),
    ]
    name_root_causes(tests, CALLS, explain)
    assert "your inner_update shows" in tests[2].message
    assert "your inner_update shows" in tests[0].message  # same code: told where it starts
    assert tests[0].misconception == "wrong_sign"


def test_a_mistake_of_the_callers_own_is_kept():
    tests = [
        graded("inner_update", misconception="wrong_sign"),
        graded("meta_loss", misconception="sum_instead_of_mean", message="summed"),
    ]
    name_root_causes(tests, CALLS, explain)
    assert (tests[1].misconception, tests[1].message) == ("sum_instead_of_mean", "summed")


@pytest.mark.parametrize(
    "status", [results.PASSED, results.NOT_RUN, results.NOT_ATTEMPTED, results.GRADER_ERROR]
)
def test_only_failing_tests_of_the_student_are_given_a_cause(status):
    tests = [
        graded("inner_update", misconception="in_place_update"),
        graded("meta_train", status=status, message="m", score=5.0 if status == "passed" else 0),
    ]
    name_root_causes(tests, CALLS, explain)
    assert (tests[1].misconception, tests[1].message) == (None, "m")


def test_no_cause_without_a_recognised_mistake_in_a_callee():
    tests = [
        graded("inner_update"),  # fails, but no code
        graded("adapt", status=results.PASSED, score=5.0),
        graded("meta_loss", misconception="in_place_update"),  # not among these calls
        graded("first_order_grads", misconception="in_place_update"),  # not declared
        graded("meta_train"),
    ]
    name_root_causes(tests, {"meta_train": ("adapt", "inner_update")}, explain)
    assert tests[4].misconception is None and tests[4].message == "it failed"


def test_tampering_is_never_passed_on_nor_given_a_cause():
    tests = [
        graded("inner_update", misconception=TAMPERING),
        graded("adapt"),
        graded("meta_loss", misconception=TAMPERING),
        graded("inner_update", misconception="in_place_update"),
    ]
    name_root_causes(tests, CALLS, explain)
    assert tests[1].misconception == "in_place_update"  # the non-tampering code of inner_update
    assert tests[2].misconception == TAMPERING and tests[2].message == "it failed"


def test_calls_are_followed_through_and_cycles_end():
    calls = {"a": ("b",), "b": ("c", "a"), "c": ("b",)}
    assert reachable("a", calls) == ["b", "c"]
    assert reachable("c", calls) == ["b", "a"]
    assert reachable("z", calls) == []


def test_maml_declares_its_calls():
    assert Assignment.load(ASSIGNMENTS / "maml").calls == CALLS
    assert Assignment.load(ASSIGNMENTS / "second_order").calls == {}


@pytest.mark.parametrize(
    "table,complaint",
    [
        ("calls = 3\n", "[calls] must be a table"),
        ('[calls]\nnope = ["q"]\n', "[calls] names 'nope', which is not a question"),
        ('[calls]\nq = "r"\n', "calls.q must be a list of question names"),
        ('[calls]\nq = ["r", "zz"]\n', "calls.q names 'zz'"),
        ('[calls]\nq = ["q"]\n', "calls.q names 'q'"),
    ],
)
def test_a_bad_calls_table_is_a_config_error(tmp_path, table, complaint):
    (tmp_path / "assignment.toml").write_text(
        'title = "t"\nmodule = "m"\n'
        + (table if table.startswith("calls") else "")
        + "[questions]\nq = { public = 1 }\nr = { public = 1 }\n"
        + ("" if table.startswith("calls") else table)
    )
    with pytest.raises(ConfigError) as error:
        Assignment.load(tmp_path)
    assert complaint in str(error.value) and "assignment.toml" in str(error.value)
