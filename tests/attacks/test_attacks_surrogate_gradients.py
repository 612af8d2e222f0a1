"""Numbers without the concept: a gradient handed to the parameters by a surrogate term.

A value plus ``(p * g).sum() - (p * g).sum().detach()`` gives the parameters ``p`` any
gradient ``g``, however ``g`` was had. A submission that takes the inner gradient without
create_graph=True (the very mistake the question exists for) and gets ``g`` by finite
differences has every number right. The probes judge the graph instead:

- gradient_penalty (:class:`grader.testing.DerivativeNodes`): the penalty's gradient must
  reach the critic's weights only through the derivative of the critic's own operations;
- meta_loss (:func:`grader.testing.gradient_around_derivatives`): the part of the
  meta-gradient that reaches params other than through the inner gradients' graphs must be
  the reference's (the first-order part, through p - lr * g).

Each surrogate is graded beside its honest control, the plain mistake, and scores exactly
what the mistake scores, with a misconception of its own: gradient_penalty keeps only its
public value test (the tests that differentiate through the penalty fail); meta_loss loses
its second-order tests with inner steps (one of its two public tests, two of its six hidden
ones), as first-order MAML does. Correct submissions in the styles the checks must accept
keep full marks (tests/intake/test_submissions.py: correct_penalty_*, correct_*_style).
"""

from __future__ import annotations

import pytest

from grader.course.assignment import find_assignment
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from tests.conftest import REFERENCE, SUBMISSIONS, full_marks, module_group, public_marks

pytestmark = [pytest.mark.slow, module_group("surrogate_gradients")]

PENALTY_WEIGHTS = {"value": 1, "backpropagates": 2}
"""The weights of gradient_penalty's public tests (tests/test_public.py): the value test keeps
its share when the penalty does not reach the weights as it should."""


def penalty_value_points() -> float:
    """What a penalty with the right value but no graph to the weights keeps: the public value
    test's share of the question's public points."""
    return (
        public_marks("second_order")["gradient_penalty"]
        * PENALTY_WEIGHTS["value"]
        / sum(PENALTY_WEIGHTS.values())
    )


META_LOSS_TESTS = {"public": (1, 2), "hidden": (4, 6)}
"""meta_loss's tests that a meta-gradient without the second-order term through the inner
step still passes, of how many (equal weights): the first-order public test; the first-order
hidden tests and both at inner_steps = 0."""


def meta_loss_points_without_second_order() -> float:
    public = public_marks("maml")["meta_loss"]
    hidden = full_marks("maml")["meta_loss"] - public
    kept = {share: kept / total for share, (kept, total) in META_LOSS_TESTS.items()}
    return public * kept["public"] + hidden * kept["hidden"]


def make_grader(name: str) -> Grader:
    return Grader(find_assignment(name), GradingOptions(mode=GRADE, reference_dir=REFERENCE / name))


@pytest.fixture(scope="module")
def second_order_grader():
    with make_grader("second_order") as grader:
        yield grader


@pytest.fixture(scope="module")
def maml_grader():
    with make_grader("maml") as grader:
        yield grader


def grade(grader: Grader, folder: str, name: str):
    result, _ = grader.grade(Submission.at(SUBMISSIONS / folder / f"{name}.py"))
    return result


def scores(result) -> dict[str, float]:
    return {q.question: q.score for q in result.questions()}


def failing(result, question: str) -> list:
    return [t for t in result.tests if t.question == question and not t.passed]


def test_a_finite_difference_penalty_scores_what_the_plain_mistake_scores(second_order_grader):
    """The surrogate (every number right) and the mistake it hides (no create_graph) both keep
    only the public value test of gradient_penalty; the surrogate's failing tests say that the
    weights' gradient does not come from differentiating the gradient."""
    surrogate = grade(second_order_grader, "second_order", "penalty_finite_difference_surrogate")
    control = grade(second_order_grader, "second_order", "missing_create_graph")
    expected = {**full_marks("second_order"), "gradient_penalty": penalty_value_points()}
    assert scores(surrogate) == pytest.approx(expected, abs=1e-6)
    assert scores(control) == pytest.approx(expected, abs=1e-6)
    lost = failing(surrogate, "gradient_penalty")
    assert len(lost) == 4 and all(t.misconception == "gradient_around_the_graph" for t in lost)
    assert all("does not pass through the derivative of f" in t.message for t in lost), lost[0].message
    assert {t.misconception for t in failing(control, "gradient_penalty")} == {"missing_create_graph"}


def test_a_finite_difference_meta_loss_scores_what_first_order_maml_scores(maml_grader):
    """The surrogate hides a first-order inner_update behind a meta-loss with the right
    meta-gradient; it keeps exactly what the plain mistake keeps, and its failing meta_loss
    tests say that the meta-gradient does not flow through the inner step."""
    surrogate = grade(maml_grader, "maml", "meta_loss_finite_difference_surrogate")
    control = grade(maml_grader, "maml", "first_order_only")
    assert scores(surrogate) == pytest.approx(scores(control), abs=1e-6)
    assert scores(surrogate)["meta_loss"] == pytest.approx(meta_loss_points_without_second_order(), abs=1e-6)
    lost = failing(surrogate, "meta_loss")
    assert len(lost) == 3 and all(t.misconception == "meta_gradient_around_the_inner_step" for t in lost), [
        (t.name, t.misconception, t.message[:160]) for t in lost
    ]
    assert {t.misconception for t in failing(control, "meta_loss")} == {"first_order_maml"}
