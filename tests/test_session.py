"""One pytest session per grader, reused across submissions: nothing leaks from one
submission to the next, and a broken test suite is reported, never waited on forever."""

from __future__ import annotations

import shutil
import sys
import textwrap
import time

import pytest

from grader.course.assignment import Assignment, Limits
from grader.errors import ConfigError, GraderError
from grader.grading import CHECK, GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.problems import StudentTimedOut
from grader.results import HIDDEN, PASSED
from grader.sandbox.process_tree import descendants
from tests.conftest import ASSIGNMENTS, REFERENCE, SUBMISSIONS

HANGS_IN_HVP = """
import torch


def first_order_grads(x, y):
    x = x.detach().clone().requires_grad_(True)
    y = y.detach().clone().requires_grad_(True)
    w = (x * y).sum() ** 2
    return torch.autograd.grad(w, (x, y))


def hvp(f, x, v):
    while True:
        pass
"""


@pytest.fixture
def assignment_copy(tmp_path):
    """A private copy of `second_order`'s public half, to break on purpose."""
    folder = tmp_path / "second_order"
    shutil.copytree(ASSIGNMENTS / "second_order", folder)
    return folder


@pytest.mark.slow
def test_one_session_grades_many_submissions_and_nothing_carries_over(tmp_path):
    assignment = Assignment.load(ASSIGNMENTS / "second_order")
    options = GradingOptions(
        mode=GRADE,
        reference_dir=REFERENCE / "second_order",
        questions=frozenset({"first_order_grads", "hvp"}),
        limits=Limits(call_seconds=2, import_seconds=60, memory_mib=2048),
    )
    hangs = tmp_path / "hangs.py"
    hangs.write_text(HANGS_IN_HVP)
    with Grader(assignment, options) as grader:
        first, _ = grader.grade(Submission("correct", SUBMISSIONS / "second_order" / "correct_compact.py"))
        session = grader.session()
        hung, _ = grader.grade(Submission("hangs", hangs))
        again, _ = grader.grade(
            Submission("correct-again", SUBMISSIONS / "second_order" / "correct_compact.py")
        )
        assert grader.session() is session, "the tests are collected once per grader"
    assert first.score == first.max_score == again.score == again.max_score > 0
    assert {t.status for t in hung.tests if t.question == "first_order_grads"} == {PASSED}
    assert {t.status for t in hung.tests if t.question == "hvp"} == {StudentTimedOut.status}
    assert [t.nodeid for t in first.tests] == [t.nodeid for t in again.tests]
    assert not any("not run" in t.message for t in again.tests), "a lost question stays with its submission"


@pytest.mark.slow
def test_hidden_inputs_still_differ_per_submission_within_one_session():
    assignment = Assignment.load(ASSIGNMENTS / "second_order")
    options = GradingOptions(
        mode=GRADE, reference_dir=REFERENCE / "second_order", questions=frozenset({"second_partials"})
    )
    wrong = SUBMISSIONS / "second_order" / "second_partials_no_create_graph.py"
    with Grader(assignment, options) as grader:
        alice, _ = grader.grade(Submission("alice", wrong))
        bob, _ = grader.grade(Submission("bob", wrong))
        alice_again, _ = grader.grade(Submission("alice", wrong))
    hidden = lambda result: [t.message for t in result.tests if t.visibility == HIDDEN]  # noqa: E731
    assert hidden(alice) and hidden(alice) == hidden(alice_again)
    assert hidden(alice) != hidden(bob), "two students get different hidden inputs"


def test_a_test_file_that_cannot_be_collected_is_one_clear_error(assignment_copy):
    (assignment_copy / "tests" / "test_broken.py").write_text("raise RuntimeError('broken on purpose')\n")
    with (
        Grader(Assignment.load(assignment_copy), GradingOptions(mode=CHECK)) as grader,
        pytest.raises(GraderError, match="(?s)could not be collected.*test_broken.py.*broken on purpose"),
    ):
        grader.grade(Submission.at(SUBMISSIONS / "second_order" / "correct_compact.py"))


def test_a_marker_naming_an_unknown_question_is_a_config_error(assignment_copy):
    (assignment_copy / "tests" / "test_extra.py").write_text(
        textwrap.dedent("""
        import pytest

        @pytest.mark.question("no_such_question")
        def test_extra(student):
            pass
    """)
    )
    with (
        Grader(Assignment.load(assignment_copy), GradingOptions(mode=CHECK)) as grader,
        pytest.raises(ConfigError, match="unknown question 'no_such_question'"),
    ):
        grader.grade(Submission.at(SUBMISSIONS / "second_order" / "correct_compact.py"))


def test_a_pytest_plugin_installed_beside_the_grader_has_no_part_in_a_grade(tmp_path, monkeypatch):
    """An installed plugin that deselects every test would otherwise grade nothing at all."""
    site = tmp_path / "site"
    (site / "sneaky_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "sneaky_plugin-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: sneaky-plugin\nVersion: 1.0\n"
    )
    (site / "sneaky_plugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[pytest11]\nsneaky = sneaky_plugin\n"
    )
    (site / "sneaky_plugin.py").write_text(
        "def pytest_collection_modifyitems(config, items):\n    items.clear()\n"
    )
    monkeypatch.syspath_prepend(str(site))
    assignment = Assignment.load(ASSIGNMENTS / "second_order")
    options = GradingOptions(mode=CHECK, questions=frozenset({"first_order_grads"}))
    with Grader(assignment, options) as grader:
        result, _ = grader.grade(Submission("correct", SUBMISSIONS / "second_order" / "correct_compact.py"))
    assert result.tests and all(test.status == PASSED for test in result.tests)
    assert result.score == result.max_score > 0
    assert "sneaky_plugin" not in sys.modules


def test_a_cold_grader_has_the_submissions_process_forked_before_its_tests_run(monkeypatch):
    """The submission's process (and its first question's) is asked for before the session
    starts, so that it is forked while a cold grader imports torch and collects the tests."""
    assignment = Assignment.load(ASSIGNMENTS / "second_order")
    seen_before_the_session: dict[int, str] = {}
    original_session = Grader.session

    def session_once_the_zygote_has_forked(grader: Grader):
        zygote = grader.warm_worker().process().process.pid
        deadline = time.monotonic() + 30  # the zygote answers once it has imported torch
        while not seen_before_the_session and time.monotonic() < deadline:
            seen_before_the_session.update(descendants(zygote))
            time.sleep(0.05)
        return original_session(grader)

    monkeypatch.setattr(Grader, "session", session_once_the_zygote_has_forked)
    with Grader(assignment, GradingOptions(mode=CHECK)) as grader:
        result, _ = grader.grade(Submission("correct", SUBMISSIONS / "second_order" / "correct_compact.py"))
    assert seen_before_the_session, "no process was forked before the tests ran"
    assert result.score == result.max_score > 0
