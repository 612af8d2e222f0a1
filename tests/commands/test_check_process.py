"""What `grader check` does to the process it runs in: the command line's runs torch on one
thread (idle OpenMP threads would spin on the worker's cores); a notebook's kernel, the
student's own process, keeps its threads; the interpreter's exit skips the collector's walk."""

from __future__ import annotations

import gc
import shutil

import pytest
import torch

from grader.cli import main
from grader.commands import check
from grader.course.assignment import find_assignment
from grader.grading import CHECK, Grader, GradingOptions
from grader.intake.submission import Submission
from tests.conftest import ASSIGNMENTS, SUBMISSIONS


def _student_file(tmp_path):
    target = tmp_path / "second_order.py"
    shutil.copy(SUBMISSIONS / "second_order" / "correct_backward_style.py", target)
    return target


def test_the_command_line_check_runs_torch_on_one_thread(tmp_path, capsys):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert main(["check", str(_student_file(tmp_path)), "--question", "first_order_grads"]) == 0
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    capsys.readouterr()


def test_a_check_without_the_option_leaves_torch_threads_alone(tmp_path):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assignment = find_assignment(str(ASSIGNMENTS / "second_order"))
        with Grader(
            assignment, GradingOptions(mode=CHECK, questions=frozenset({"first_order_grads"}))
        ) as grader:
            result, _ = grader.grade(Submission("notebook", _student_file(tmp_path)))
        assert result.tests and all(t.status == "passed" for t in result.tests)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


class _Exits:
    """Stands in for the atexit module: the functions that would run at exit."""

    def __init__(self) -> None:
        self.functions: list = []

    def register(self, function) -> None:
        self.functions.append(function)

    def unregister(self, function) -> None:
        self.functions = [f for f in self.functions if f is not function]


@pytest.mark.slow
def test_the_command_line_check_freezes_the_collector_at_exit_once(tmp_path, capsys, monkeypatch):
    exits = _Exits()
    monkeypatch.setattr(check, "atexit", exits)
    for _ in range(2):
        main(["check", str(_student_file(tmp_path)), "--question", "first_order_grads"])
    capsys.readouterr()
    assert exits.functions == [gc.freeze]  # exactly once, however many checks ran
