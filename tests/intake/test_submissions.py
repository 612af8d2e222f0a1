"""Grade real submissions and assert exact scores: correct ones in several styles get full
marks, each realistic mistake loses exactly the points of the tests it breaks."""

from __future__ import annotations

import pytest

from grader import results
from grader.course.assignment import find_assignment
from grader.course.misconceptions import GRADER_CODES
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from tests.conftest import REFERENCE, SUBMISSIONS, full_marks
from tests.intake.test_contract_submissions import CODES_SHOWN as CONTRACT_CODES

pytestmark = pytest.mark.slow  # each grades real submissions

FULL_SECOND_ORDER = full_marks("second_order")
# meta_train's 2000-step test (25 points) is slow: graded once, in test_slow_meta_train_learns.
FULL_MAML_FAST = {**full_marks("maml"), "meta_train": 10}

# name: (the question scores that differ from full marks, the misconception every failing
# test of a question must carry; failing tests of other questions must carry none)
SECOND_ORDER_CASES = {
    "correct_backward_style": ({}, {}),
    "correct_compact": ({}, {}),
    # namedtuple, dataclasses, logging, inspect.signature, traceback, threads, vmap: no tampering
    "correct_many_idioms": ({}, {}),
    "correct_double_precision": ({}, {}),  # torch rebinds its own names: not tampering
    "correct_with_optimizer_demo": ({}, {}),
    # torch.func in questions that allow it; forbidden helpers only in comments, an unused
    # import and a __main__ block
    "correct_uses_torch_func_elsewhere": ({}, {}),
    "changes_inputs": (
        {"first_order_grads": 0, "grads_without_zeroing": 0},
        {"first_order_grads": "in_place_update", "grads_without_zeroing": "in_place_update"},
    ),
    "forbidden_helper": ({"hessian": 0}, {"hessian": "forbidden_api"}),
    # torch.autograd.functional.hvp reached through the student's own helper still counts
    "hvp_helper_through_wrapper": ({"hvp": 0}, {"hvp": "forbidden_api"}),
    "grad_accumulation": ({"hessian": 0}, {"hessian": "grad_accumulation"}),
    # fails the two n = 200,000 tests (weights 3 + 3 of 12; unchanged when n went from
    # 2,000,000 to 200,000), on memory: no misconception
    "hvp_forms_hessian": ({"hvp": FULL_SECOND_ORDER["hvp"] - 4.5}, {}),
    # keeps the public value test only
    "missing_create_graph": ({"gradient_penalty": 8 / 3}, {"gradient_penalty": "missing_create_graph"}),
    "second_partials_no_create_graph": (
        {"second_partials": 0, "grads_without_zeroing": 0},
        # the error cannot tell a missing create_graph from a gradient detached after it
        {"second_partials": "gradient_without_graph", "grads_without_zeroing": "gradient_without_graph"},
    ),
    "zeroed_gradients": ({"grads_without_zeroing": 0}, {"grads_without_zeroing": "zeroed_gradients"}),
    # .sum() over the batch: keeps only the hidden B = 1 test (4 of 12), where sum = mean
    "penalty_sum_instead_of_mean": ({"gradient_penalty": 4}, {"gradient_penalty": "sum_instead_of_mean"}),
    # no create_graph=True, the weights' gradients by finite differences carried by a surrogate
    # term: every number right, yet it keeps what missing_create_graph keeps (the value test)
    "penalty_finite_difference_surrogate": (
        {"gradient_penalty": 8 / 3},
        {"gradient_penalty": "gradient_around_the_graph"},
    ),
    # the penalty's gradient through the critic's derivative, however it is taken: a loop over
    # rows, backward(create_graph=True, inputs=[x]) then x.grad, torch.func.grad, and
    # torch.autograd.functional.jacobian vectorized
    "correct_penalty_row_loop": ({}, {}),
    "correct_penalty_backward_inputs": ({}, {}),
    "correct_penalty_func_grad": ({}, {}),
    "correct_penalty_vectorized_jacobian": ({}, {}),
}

# meta_loss's hidden share (18) is 3 points per test across six tests since the two tests at
# inner_steps = 0 were added: they pass whenever meta_loss itself is right, whatever
# inner_update does (adapt with 0 steps calls it never), so a mistake that lives only in
# inner_update keeps those 6 points of meta_loss (it lost all 30 before).
MAML_CASES = {
    "correct_loop_style": ({}, {}),
    "correct_functional_style": ({}, {}),
    "first_order_only": (
        {"inner_update": 10, "adapt": 7.5, "meta_loss": 18},
        dict.fromkeys(["inner_update", "adapt", "meta_loss"], "first_order_maml"),
    ),
    "ignores_first_order_flag": (
        {"inner_update": 10, "adapt": 10.5, "meta_loss": 18},
        dict.fromkeys(["inner_update", "adapt", "meta_loss"], "ignores_first_order_flag"),
    ),
    "in_place_update": (
        {"inner_update": 0, "adapt": 3, "meta_loss": 6},
        dict.fromkeys(["inner_update", "adapt", "meta_loss"], "in_place_update"),
    ),
    # meta_train's quick test fails with no code of its own: it is given inner_update's
    "detached_params": (
        {"inner_update": 0, "adapt": 3, "meta_loss": 6, "meta_train": 0},
        dict.fromkeys(["inner_update", "adapt", "meta_loss", "meta_train"], "detached_params"),
    ),
    "wrong_sign": (
        {"inner_update": 0, "adapt": 3, "meta_loss": 6},
        dict.fromkeys(["inner_update", "adapt", "meta_loss"], "wrong_sign"),
    ),
    "sum_instead_of_mean": ({"meta_loss": 0}, {"meta_loss": "sum_instead_of_mean"}),
    # first_order_only's inner_update, hidden by a meta_loss that hands params the second-order
    # meta-gradient (Hessian-vector products by finite differences of plain gradients): every
    # meta_loss number right, yet it keeps what first_order_only keeps
    "meta_loss_finite_difference_surrogate": (
        {"inner_update": 10, "adapt": 7.5, "meta_loss": 18},
        {
            "inner_update": "first_order_maml",
            "adapt": "first_order_maml",
            "meta_loss": "meta_gradient_around_the_inner_step",
        },
    ),
    "meta_train_no_learning": ({"meta_train": 0}, {}),
    # adapt raises UnboundLocalError at steps = 0: it loses the public 0-step adapt test
    # (3 of 6) and meta_loss's two hidden tests at inner_steps = 0 (3 + 3 of 18)
    "adapt_fails_at_zero_steps": ({"adapt": 12, "meta_loss": 24}, {}),
    # loss.backward() fills the caller's .grad: changing params' .grad is changing params
    "inner_update_fills_grad": (
        {"inner_update": 0, "adapt": 3, "meta_loss": 6},
        dict.fromkeys(["inner_update", "adapt", "meta_loss"], "in_place_update"),
    ),
    # Adam on the caller's own tensors: meta_train must train copies
    "meta_train_trains_callers_params": ({"meta_train": 0}, {"meta_train": "in_place_update"}),
    # init_params inside meta_train: it learns, but not from the params it was handed
    "meta_train_reinitialises": ({"meta_train": 0}, {"meta_train": "ignores_given_params"}),
}


CODES_SHOWN_ELSEWHERE = {"tampering", *CONTRACT_CODES}
"""The grader's own (the forgeries, test_integrity.py), and those shown by the submissions of
test_contract_submissions.py."""


@pytest.mark.parametrize("assignment,cases", [("second_order", SECOND_ORDER_CASES), ("maml", MAML_CASES)])
def test_every_code_in_the_catalogue_is_shown_on_a_realistic_submission(assignment, cases):
    """Each code the assignment's catalogue holds is what some question's failing tests carry
    on one of the submissions above: none is unreachable."""
    entries = find_assignment(assignment).misconceptions.entries
    catalogue = {code for code, entry in entries.items() if entry != GRADER_CODES.get(code)}  # its own words
    shown = {code for _, mistakes in cases.values() for code in mistakes.values()}
    assert catalogue - CODES_SHOWN_ELSEWHERE <= shown, catalogue - CODES_SHOWN_ELSEWHERE - shown
    assert shown <= set(entries)


def make_grader(name: str, *, run_slow: bool = False) -> Grader:
    return Grader(
        find_assignment(name), GradingOptions(mode=GRADE, reference_dir=REFERENCE / name, run_slow=run_slow)
    )


@pytest.fixture(scope="module")
def second_order_grader():
    with make_grader("second_order") as grader:
        yield grader


@pytest.fixture(scope="module")
def maml_grader():
    with make_grader("maml") as grader:
        yield grader


def question_scores(result):
    return {q.question: q.score for q in result.questions()}


def assert_scores(result, expected):
    got = question_scores(result)
    assert got == pytest.approx(expected, abs=1e-6), [
        (t.question, t.status, t.message[:120]) for t in result.tests if not t.passed
    ]


def assert_misconceptions(result, expected):
    """Every failing test names its question's mistake; no passing test names any."""
    for test in result.tests:
        wanted = None if test.passed or test.status == results.NOT_RUN else expected.get(test.question)
        assert test.misconception == wanted, (test.name, test.status, test.message[:120])


@pytest.mark.parametrize("name", SECOND_ORDER_CASES)
def test_second_order_submission(second_order_grader, name):
    result, _ = second_order_grader.grade(Submission.at(SUBMISSIONS / "second_order" / f"{name}.py"))
    scores, mistakes = SECOND_ORDER_CASES[name]
    assert_scores(result, {**FULL_SECOND_ORDER, **scores})
    assert_misconceptions(result, mistakes)
    assert all(t.status in (results.PASSED, results.FAILED, "memory limit", "error") for t in result.tests)


@pytest.mark.parametrize("name", MAML_CASES)
def test_maml_submission(maml_grader, name):
    result, _ = maml_grader.grade(Submission.at(SUBMISSIONS / "maml" / f"{name}.py"))
    scores, mistakes = MAML_CASES[name]
    assert_scores(result, {**FULL_MAML_FAST, **scores})
    assert_misconceptions(result, mistakes)
    slow = [t for t in result.tests if t.status == results.NOT_RUN]
    assert [t.question for t in slow] == ["meta_train"]


def test_meta_loss_at_zero_inner_steps_fails_with_the_error(maml_grader):
    """meta_loss with inner_steps = 0 reaches adapt's 0-step edge: an adapt that raises there
    costs meta_loss those tests, and the student sees the error."""
    result, _ = maml_grader.grade(Submission.at(SUBMISSIONS / "maml" / "adapt_fails_at_zero_steps.py"))
    failing = [t for t in result.tests if t.question == "meta_loss" and not t.passed]
    assert [t.name for t in failing] == [
        f"meta_loss with inner_steps = 0 is the plain query loss of params, and its gradient ({case})"
        for case in ("float32, second-order", "float64, first-order")
    ]
    assert all("UnboundLocalError" in t.message + t.traceback for t in failing)


ROOT_CAUSE = (
    "The cause may be in a function {caller} calls: your inner_update shows a "
    "recognised mistake, {title} ({code})"
)


@pytest.mark.parametrize("name", ["in_place_update", "detached_params", "wrong_sign"])
def test_callers_name_the_mistake_in_inner_update(maml_grader, name):
    """A mistake made in inner_update is named where it bites: every failing test of adapt,
    meta_loss and meta_train (which call it) says that inner_update shows it, with its code;
    the scores are those of MAML_CASES (root causes change messages and codes, never points)."""
    result, _ = maml_grader.grade(Submission.at(SUBMISSIONS / "maml" / f"{name}.py"))
    assert_scores(result, {**FULL_MAML_FAST, **MAML_CASES[name][0]})
    title = find_assignment("maml").misconceptions.explain(name).title
    callers = [
        t
        for t in result.tests
        if t.question in ("adapt", "meta_loss", "meta_train") and not t.passed and t.status != results.NOT_RUN
    ]
    assert {t.question for t in callers} >= {"adapt", "meta_loss"}
    for test in callers:
        assert test.misconception == name, (test.name, test.message)
        assert test.message.endswith(ROOT_CAUSE.format(caller=test.question, title=title, code=name))
    own = [t for t in result.tests if t.question == "inner_update" and not t.passed]
    assert own and not any("The cause may be" in t.message for t in own)


def test_meta_train_that_did_not_learn_names_inner_update(maml_grader):
    """detached_params: meta_train's quick test fails on what it achieves (no code of its own)
    and is told why: inner_update returns detached parameters."""
    result, _ = maml_grader.grade(Submission.at(SUBMISSIONS / "maml" / "detached_params.py"))
    [quick] = [t for t in result.tests if t.question == "meta_train" and t.status == results.FAILED]
    assert quick.message.startswith("after 200 meta-steps the held-out loss went from")
    assert (
        "your inner_update shows a recognised mistake, the adapted parameters no longer "
        "depend on the initial ones (detached_params)" in quick.message
    )
    assert quick.misconception == "detached_params" and quick.score == 0


@pytest.mark.parametrize("assignment", ["second_order", "maml"])
def test_untouched_stub_is_not_attempted(second_order_grader, maml_grader, assignment):
    grader = second_order_grader if assignment == "second_order" else maml_grader
    result, _ = grader.grade(Submission.at(SUBMISSIONS / assignment / "untouched_stub.py"))
    assert result.score == 0
    assert {t.status for t in result.run_tests} == {results.NOT_ATTEMPTED}


def test_forbidden_helper_message_says_why(second_order_grader):
    result, _ = second_order_grader.grade(Submission.at(SUBMISSIONS / "second_order" / "forbidden_helper.py"))
    failing = [t for t in result.tests if not t.passed]
    assert failing and all(t.question == "hessian" for t in failing)
    assert all(
        "torch.autograd.functional.hessian" in t.message and "double backward" in t.message for t in failing
    )


def test_hvp_forming_the_hessian_fails_on_memory_with_a_clear_message(second_order_grader):
    """At n = 200,000 a dense Hessian (160 GB in float32) cannot fit in the 2 GiB limit: both
    long hvp tests fail on memory, and the message says so and names the call."""
    result, _ = second_order_grader.grade(
        Submission.at(SUBMISSIONS / "second_order" / "hvp_forms_hessian.py")
    )
    failing = [t for t in result.tests if not t.passed]
    assert [t.name for t in failing] == [
        f"hvp works at n = 200,000 in {dtype} without forming the Hessian" for dtype in ("float32", "float64")
    ]
    assert all(t.status == "memory limit" and t.question == "hvp" for t in failing)
    assert "memory limit of 2048 MiB exceeded while running hvp(" in failing[0].message
    assert "(200000,)" in failing[0].message
    assert failing[1].message.startswith("not run: memory limit of 2048 MiB exceeded")


def test_hidden_inputs_differ_between_submissions_but_not_between_regrades(second_order_grader):
    def inputs_seen(submission_id):
        result, _ = second_order_grader.grade(
            Submission(submission_id, SUBMISSIONS / "second_order" / "zeroed_gradients.py")
        )
        return [t.message for t in result.tests if t.visibility == results.HIDDEN and not t.passed]

    alice, alice_again, bob = inputs_seen("alice"), inputs_seen("alice"), inputs_seen("bob")
    assert alice == alice_again
    assert alice != bob


@pytest.mark.slow
def test_slow_meta_train_learns():
    with make_grader("maml", run_slow=True) as grader:
        result, _ = grader.grade(Submission.at(SUBMISSIONS / "maml" / "correct_loop_style.py"))
    assert result.score == pytest.approx(sum(full_marks("maml").values()))
