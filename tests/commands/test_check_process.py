"""What `grader check` does to the process it runs in: the command line's runs torch on one
thread (idle OpenMP threads would spin on the worker's cores); a notebook's kernel, the
student's own process, keeps its threads; the interpreter's exit skips the collector's walk."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from grader.cli import main
from grader.commands import check
from grader.course.assignment import find_assignment
from grader.grading import CHECK, Grader, GradingOptions
from grader.intake.submission import Submission
from tests.commands.test_check_watch import ENDLESS, WAIT, alive, descendants, kill_all
from tests.conftest import ASSIGNMENTS, ROOT, SUBMISSIONS


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM", "SIGHUP"])
@pytest.mark.slow
def test_a_check_ended_by_a_signal_leaves_no_process_and_no_folder(tmp_path, ending):
    """Ctrl-C, a `kill` and a closed terminal alike stop every process the check started (its
    worker began before the grader's imports) and remove its folder."""
    student = tmp_path / "second_order.py"
    student.write_text(ENDLESS)  # a question spins, so the check is surely under way
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "GRADER_ASSIGNMENTS": str(ASSIGNMENTS)}
    process = subprocess.Popen(
        [sys.executable, "-m", "grader", "check", str(student)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # signals of its own, none ignored as a shell's job's can be
    )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + WAIT
        while len(started := started | descendants(process.pid)) < 3:  # zygote, submission, question
            assert process.poll() is None and time.monotonic() < deadline, "the check never got under way"
            time.sleep(0.2)
        process.send_signal(getattr(signal, ending))
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 130, output.decode(errors="replace")[-2000:]
        assert b"Traceback" not in output
        time.sleep(0.5)
        assert not [pid for pid in started if alive(pid)]
        assert not list(scratch.iterdir()), "the grader's folder was left behind"
    finally:
        kill_all(process, started)
