"""The author API's conveniences run through the plugin: a test's tolerance marker is the
default of its comparisons, expect_at_most keeps what it bounded, and plain_data admits
what student code may fairly return and names what it may not."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from grader import results
from grader.course.assignment import Assignment
from grader.plugin import GradingPlugin
from grader.submission_run import SubmissionRun
from grader.testing import plain_data
from tests.test_plugin import CONFIG, NoWorker, check, grade, write_tests


@pytest.fixture
def assignment(pytester: pytest.Pytester) -> Assignment:
    folder = pytester.mkdir("points")
    (folder / "assignment.toml").write_text(CONFIG)
    return Assignment.load(folder)


COMPARISONS = """
from grader.testing import difference, expect_close

GOT, EXPECTED = torch.tensor([1.05]), torch.tensor([1.0])

@pytest.mark.question("alpha")
@pytest.mark.tolerance(rtol=0.1)
def test_marker_loosens():
    expect_close(GOT, EXPECTED, what="x")
    assert difference([GOT], [EXPECTED], "xs") == ""

@pytest.mark.question("alpha")
def test_dtype_default():
    expect_close(GOT, EXPECTED, what="x")

@pytest.mark.question("beta")
@pytest.mark.tolerance(rtol=0.1)
def test_explicit_wins():
    expect_close(GOT, EXPECTED, what="x", rtol=0.01)

@pytest.mark.question("beta")
@pytest.mark.tolerance(atol=0.06)
def test_atol_alone():
    expect_close(GOT, EXPECTED, what="x")
"""


def test_a_tolerance_marker_is_the_default_and_an_argument_still_wins(pytester, assignment):
    public = write_tests(pytester, "test_public.py", "import torch\n" + COMPARISONS)
    graded = grade(pytester, check(assignment), public)
    assert {name: test.status for name, test in graded.tests.items()} == {
        "test_marker_loosens": results.PASSED,
        "test_dtype_default": results.FAILED,
        "test_explicit_wins": results.FAILED,
        "test_atol_alone": results.PASSED,
    }


@pytest.mark.parametrize(
    "marker",
    ["tolerance(0.1)", "tolerance()", "tolerance(rtol=-1)", "tolerance(rtol='a')", "tolerance(tol=1)"],
)
def test_a_bad_tolerance_marker_is_one_configuration_line(pytester, assignment, marker):
    public = write_tests(
        pytester,
        "test_public.py",
        f"""
        @pytest.mark.question("alpha")
        @pytest.mark.{marker}
        def test_alpha():
            pass

        @pytest.mark.question("beta")
        def test_beta():
            pass
        """,
    )
    graded = grade(pytester, check(assignment), public)
    assert "tolerance" in graded.config_error or "rtol" in graded.config_error
    assert "test_alpha" in graded.config_error and "\n" not in graded.config_error


def test_expect_at_most_keeps_the_value_it_bounded_pass_or_fail(pytester, assignment: Assignment) -> None:
    public = write_tests(
        pytester,
        "test_public.py",
        """
        from grader.testing import expect_at_most

        @pytest.mark.question("alpha")
        def test_learns():
            expect_at_most(0.4, 0.5, what="the held-out ratio")

        @pytest.mark.question("beta")
        def test_learns_too_little():
            expect_at_most(0.7, 0.5, what="the held-out ratio")
        """,
    )
    run = SubmissionRun("student", make_pool=NoWorker)
    runs = iter([run])
    plugin = GradingPlugin(check(assignment), lambda: next(runs, None))
    pytester.runpytest_inprocess(str(public), "-p", "no:cacheprovider", plugins=[plugin])
    statuses = {t.nodeid.split("::")[-1]: (t.status, t.message) for t in run.tests}
    assert statuses["test_learns"] == (results.PASSED, "")
    assert statuses["test_learns_too_little"] == (
        results.FAILED,
        "the held-out ratio is 0.7, expected at most 0.5",
    )
    assert [(b.nodeid.split("::")[-1], b.question, b.value, b.bound) for b in run.bounds] == [
        ("test_learns", "alpha", 0.4, 0.5),
        ("test_learns_too_little", "beta", 0.7, 0.5),
    ]


class MyTensor(torch.Tensor):
    pass


class Model:
    pass


def test_plain_data_admits_parameters_and_plain_structures() -> None:
    weight = nn.Parameter(torch.ones(2))
    value = plain_data({"w": weight, "rest": [torch.zeros(1, requires_grad=True), (3, 0.5, None, "a")]})
    assert type(value["w"]) is torch.Tensor and not value["w"].requires_grad
    assert type(value["rest"]) is list and type(value["rest"][1]) is tuple
    assert not value["rest"][0].requires_grad
    assert value["rest"][1] == (3, 0.5, None, "a")
    assert torch.equal(value["w"], weight.detach())


@pytest.mark.parametrize(
    "value, message",
    [
        ({"w": torch.ones(2).as_subclass(MyTensor)}, "weights['w'] is a MyTensor, not a tensor"),
        (
            [torch.ones(1), Model()],
            "weights[1] is a Model, not a tensor, a number, or a list, tuple or dict of them",
        ),
        ({1: torch.ones(1)}, "weights has a key of type int, not a string"),
        (torch.ones(1).as_subclass(MyTensor), "weights is a MyTensor, not a tensor"),
    ],
)
def test_plain_data_names_what_it_refuses_and_where(value: object, message: str) -> None:
    with pytest.raises(TypeError) as caught:
        plain_data(value, "weights")
    assert str(caught.value) == message


def test_plain_data_refuses_a_structure_nested_without_end() -> None:
    nested: list[object] = []
    nested.append(nested)
    with pytest.raises(TypeError, match="nested more than"):
        plain_data(nested)


BETA = """
        @pytest.mark.question("beta")
        def test_beta(seed):
            pass
        """


def test_only_a_passing_public_tests_leaderboard_figure_is_shown(pytester, assignment: Assignment) -> None:
    """The class sees the leaderboard: a hidden test's figure (inputs drawn for one student)
    and a failing test's are dropped, and each name shows once."""
    from grader.leaderboard import shown
    from grader.plugin import GradingSettings

    board = """
        from grader.testing import leaderboard

        @pytest.mark.question("alpha")
        def test_{name}(seed):
            leaderboard("{figure}", {value}, order="{order}")
            assert {passes}
        """
    public = write_tests(
        pytester,
        "test_public.py",
        board.format(name="learns", figure="loss", value=0.25, order="asc", passes=True)
        + board.format(name="again", figure="loss", value=0.5, order="asc", passes=True)
        + board.format(name="fails", figure="accuracy", value=0.9, order="desc", passes=False)
        + BETA,
    )
    hidden = write_tests(
        pytester,
        "hidden/test_hidden.py",
        board.format(name="hidden", figure="hidden loss", value=0.1, order="asc", passes=True) + BETA,
    )
    run = SubmissionRun("student", make_pool=NoWorker)
    runs = iter([run])
    settings = GradingSettings(assignment, results.Mode.GRADE, seed_key=b"key", hidden_tests=hidden.parent)
    plugin = GradingPlugin(settings, lambda: next(runs, None))
    pytester.runpytest_inprocess(
        str(public), str(hidden), "-p", "no:cacheprovider", "--import-mode=importlib", plugins=[plugin]
    )
    assert len(run.tests) == 6, plugin.config_error or plugin.collection_errors
    assert len(run.leaderboard) == 4, "every figure is kept on the run"
    assert shown(run.leaderboard, run.tests) == [{"name": "loss", "value": 0.25, "order": "asc"}]


def test_a_leaderboard_figure_must_name_an_order_gradescope_knows() -> None:
    from grader.testing import leaderboard

    with pytest.raises(ValueError, match="'asc'"):
        leaderboard("loss", 0.1, order="lowest")
