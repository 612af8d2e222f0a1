"""`grader check --watch`: one warm grader that checks the student's file on every save.

Driven through the watch's event hook (a save is announced, not waited for; every report
arrives in a queue), and once through a pseudo-terminal, where Ctrl-C must end the command
and every process it started.
"""

from __future__ import annotations

import argparse
import io
import os
import queue
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from grader.commands import check
from grader.course.assignment import Limits, find_assignment
from grader.grading import CHECK, Grader, GradingOptions
from grader.results import GradedTest, SubmissionResult
from grader.watch import Watch, WatchUpdate
from grader.watch.question_digests import changed_questions, question_digests
from grader.watch.report import Changes, WatchReport
from grader.watch.saves import SavedFiles
from tests.conftest import ASSIGNMENTS, ROOT, SUBMISSIONS

CORRECT = (SUBMISSIONS / "second_order" / "correct_compact.py").read_text()
WAIT = 180.0  # seconds for one report, on a loaded machine
LEAVES_STATE = CORRECT + (
    "\n\nimport builtins\nimport sys\n\n"
    "builtins.watch_counter = getattr(builtins, 'watch_counter', 0) + 1\n"
    "sys.watch_cache = torch.ones(3)  # a cached tensor\n"
    "CALLS = 0  # a module-level counter\n"
    "_first_order_grads = first_order_grads\n\n\n"
    "def first_order_grads(x, y):\n"
    "    global CALLS\n"
    "    CALLS += 1\n"
    "    builtins.watch_counter += 1\n"
    "    return _first_order_grads(x, y)\n"
)
SEES_NO_STATE = CORRECT + (
    "\n\nimport builtins\nimport sys\n\n"
    "LEAKED = [name for name, seen in (\n"
    "    ('a counter', hasattr(builtins, 'watch_counter')),\n"
    "    ('a cached tensor', hasattr(sys, 'watch_cache')),\n"
    "    ('a monkeypatched torch', hasattr(torch, 'watch_patched') or hasattr(torch.Tensor, 'watch_patched')),\n"
    ") if seen]\n"
    "_first_order_grads = first_order_grads\n\n\n"
    "def first_order_grads(x, y):\n"
    "    if LEAKED:\n"
    "        raise RuntimeError(f'an earlier save left {LEAKED}')\n"
    "    return _first_order_grads(x, y)\n"
)
BROKEN = LEAVES_STATE.replace(
    "gx = grad(torch.dot(x, y) ** 2, x, create_graph=True)[0]",
    "gx = grad(torch.dot(x, y) ** 2, x, create_graph=True)[0].detach().requires_grad_()",
)
ENDLESS = CORRECT.replace("def hvp(f, x, v):\n", "def hvp(f, x, v):\n    while True:\n        pass\n")
EXITS = CORRECT.replace(
    "def hessian(f, x):\n",
    "def hessian(f, x):\n    torch.watch_patched = torch.Tensor.watch_patched = True\n    exit(3)\n",
)
SYNTAX_ERROR = CORRECT.replace("def hvp(f, x, v):", "def hvp(f, x, v)")


class DrivenWatch:
    """A watch in a thread of its own, fed saves through its hook, its reports in a queue."""

    def __init__(
        self, grader: Grader, path: Path, *, poll_seconds: float = 3600.0, cancel_after: float = 2.0
    ) -> None:
        self.path = path
        self.updates: queue.Queue[WatchUpdate] = queue.Queue()
        self.watch = Watch(
            grader, path, on_update=self.updates.put, poll_seconds=poll_seconds, cancel_after=cancel_after
        )
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.watch.run()
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            self.failure = exc

    def save(self, text: str) -> list[WatchUpdate]:
        """Save `text` as the student's file and say so; the reports of its check."""
        self.path.write_text(text)
        self.watch.saved()
        return self.reports()

    def reports(self) -> list[WatchUpdate]:
        """Every report of one check, the final one last."""
        got: list[WatchUpdate] = []
        while not got or not got[-1].final:
            try:
                got.append(self.updates.get(timeout=WAIT))
            except queue.Empty:
                raise AssertionError(f"no report within {WAIT} s (watch failed: {self.failure!r})") from None
        return got

    def stop(self) -> None:
        self.watch.stop()
        self._thread.join(timeout=WAIT)
        assert not self._thread.is_alive() and self.failure is None, self.failure


def statuses(result: SubmissionResult) -> dict[str, str]:
    return {q.question: q.status for q in result.questions()}


def messages(result: SubmissionResult, question: str) -> str:
    return "\n".join(t.message for t in result.tests if t.question == question)


@pytest.fixture(scope="module")
def grader():
    assignment = find_assignment(str(ASSIGNMENTS / "second_order"))
    limits = Limits(call_seconds=4.0, import_seconds=20.0, memory_mib=assignment.limits.memory_mib)
    with Grader(assignment, GradingOptions(mode=CHECK, limits=limits)) as warm:
        yield warm


@pytest.mark.slow
def test_each_save_is_checked_on_its_own_and_leaves_nothing_to_the_next(grader, tmp_path):
    student = tmp_path / "second_order.py"
    student.write_text(LEAVES_STATE)
    driven = DrivenWatch(grader, student)
    try:
        first = driven.reports()
        assert len(first) == 1 and set(statuses(first[-1].result).values()) == {"passed"}

        broken = driven.save(BROKEN)
        # second_partials changed, and so did grads_without_zeroing, which calls it: they are
        # checked first and shown at once beside the others' last results, then the rest.
        assert len(broken) == 2 and not broken[0].final
        assert broken[0].report.checking == ("first_order_grads", "hessian", "hvp", "gradient_penalty")
        early = broken[0].result
        assert {t.question for t in early.tests if not t.passed} == {
            "second_partials",
            "grads_without_zeroing",
        }
        final = broken[-1].result
        assert statuses(final)["second_partials"] != "passed"
        assert statuses(final)["hvp"] == "passed"
        assert broken[-1].report.changes.failing and not broken[-1].report.changes.passing

        endless = driven.save(ENDLESS)[-1].result
        assert statuses(endless)["hvp"] != "passed" and "timed out" in messages(endless, "hvp")
        assert statuses(endless)["second_partials"] == "passed"  # the worker was replaced
        assert statuses(endless)["gradient_penalty"] == "passed"

        exits = driven.save(EXITS)[-1].result  # and monkeypatches torch as it goes
        assert statuses(exits)["hessian"] != "passed" and "exit" in messages(exits, "hessian")
        assert statuses(exits)["hvp"] == "passed"

        syntax = driven.save(SYNTAX_ERROR)[-1].result
        assert "passed" not in statuses(syntax).values()
        assert "SyntaxError" in messages(syntax, "first_order_grads")

        again = driven.save(SEES_NO_STATE)[-1]
        assert set(statuses(again.result).values()) == {"passed"}, messages(again.result, "first_order_grads")
        assert again.report.changes.passing and not again.report.changes.failing
    finally:
        driven.stop()


@pytest.mark.slow
def test_a_newer_save_cancels_a_check_stuck_in_an_endless_loop(tmp_path):
    assignment = find_assignment(str(ASSIGNMENTS / "second_order"))
    limits = Limits(call_seconds=120.0, import_seconds=20.0, memory_mib=assignment.limits.memory_mib)
    student = tmp_path / "second_order.py"
    student.write_text(CORRECT)
    with Grader(assignment, GradingOptions(mode=CHECK, limits=limits)) as patient:
        driven = DrivenWatch(patient, student, cancel_after=0.5)
        try:
            driven.reports()
            student.write_text(ENDLESS)  # hvp changed: it runs first, and never ends
            driven.watch.saved()
            time.sleep(2.0)
            started = time.monotonic()
            fixed = driven.save(SEES_NO_STATE)  # the loop's check is dropped, unreported
            assert time.monotonic() - started < 60, "the newer save waited for the loop"
            assert all(update.result.tests for update in fixed)
            assert set(statuses(fixed[-1].result).values()) == {"passed"}
        finally:
            driven.stop()


def test_a_save_is_noticed_by_polling_and_an_unchanged_one_is_not_checked(grader, tmp_path):
    student = tmp_path / "second_order.py"
    student.write_text(CORRECT)
    driven = DrivenWatch(grader, student, poll_seconds=0.02)
    try:
        driven.reports()
        student.write_text(CORRECT)  # saved again as it was: nothing to check
        os.utime(student, ns=(time.time_ns(), time.time_ns() + 10**9))
        driven.watch.saved()
        student.write_text(EXITS)  # noticed by the poll alone
        result = driven.reports()[-1].result
        assert statuses(result)["hessian"] != "passed"
        assert driven.updates.empty()
        student.unlink()  # an editor replacing the file: gone for a moment
        assert "no such file" in driven.reports()[-1].result.problem
        student.write_text(CORRECT)
        assert set(statuses(driven.reports()[-1].result).values()) == {"passed"}
    finally:
        driven.stop()


def test_a_notebook_is_watched_as_a_whole(grader, tmp_path):
    """Its questions' code is not told apart: every question runs, in order."""
    notebook = tmp_path / "second_order.ipynb"
    shutil.copy(ASSIGNMENTS / "second_order" / "second_order.ipynb", notebook)
    driven = DrivenWatch(grader, notebook)
    try:
        reports = driven.reports()
        assert len(reports) == 1 and set(statuses(reports[-1].result).values()) == {"not attempted"}
    finally:
        driven.stop()


def test_a_helper_module_beside_the_file_is_watched_too(tmp_path):
    (tmp_path / "second_order.py").write_text("from helper import N\n")
    (tmp_path / "helper.py").write_text("N = 1\n")
    files = SavedFiles(tmp_path, sleep=lambda _: None)
    assert files.settle() and not files.moved()
    (tmp_path / "helper.py").write_text("N = 22\n")
    assert files.moved() and files.settle() and files.contents["helper.py"] == b"N = 22\n"
    assert not files.settle()  # read again, unchanged


def test_a_file_saved_half_written_is_read_once_it_settles(tmp_path):
    student = tmp_path / "second_order.py"
    half = CORRECT[: len(CORRECT) // 2]
    student.write_text(half)
    pending = [CORRECT[len(half) :]]

    def editor_still_writing(_: float) -> None:
        if pending:
            with open(student, "a") as rest:
                rest.write(pending.pop())

    files = SavedFiles(tmp_path, sleep=editor_still_writing)
    assert files.settle() and files.contents["second_order.py"] == CORRECT.encode()


def test_only_the_questions_whose_code_changed_are_named():
    questions = ["first_order_grads", "second_partials", "grads_without_zeroing", "hessian", "hvp"]
    before = question_digests(CORRECT, questions)
    assert before is not None
    broken = CORRECT.replace("create_graph=True)[0]\n", "create_graph=True)[0].detach()\n", 1)
    assert changed_questions(before, question_digests(broken, questions), questions) == {
        "second_partials",
        "grads_without_zeroing",  # it calls second_partials
    }
    commented = CORRECT.replace("def hvp(f, x, v):\n", "def hvp(f, x, v):\n    # product\n\n")
    assert changed_questions(before, question_digests(commented, questions), questions) == set()
    constant = "SCALE = 2\n" + CORRECT  # top-level code runs for every question
    assert changed_questions(before, question_digests(constant, questions), questions) == set(questions)
    assert question_digests(SYNTAX_ERROR, questions) is None
    assert changed_questions(before, None, questions) == set(questions)


@pytest.mark.slow
def test_the_portable_worker_watches_too(tmp_path, monkeypatch):
    """No fork (macOS, Windows): each question starts a fresh interpreter, warmed ahead."""
    monkeypatch.setenv("GRADER_WORKER", "portable")
    assignment = find_assignment(str(ASSIGNMENTS / "second_order"))
    limits = Limits(call_seconds=4.0, import_seconds=30.0, memory_mib=assignment.limits.memory_mib)
    options = GradingOptions(mode=CHECK, limits=limits, questions=frozenset({"hvp"}))
    student = tmp_path / "second_order.py"
    student.write_text(CORRECT)
    with Grader(assignment, options) as portable:
        driven = DrivenWatch(portable, student)
        try:
            assert statuses(driven.reports()[-1].result) == {"hvp": "passed"}
            endless = driven.save(ENDLESS)[-1].result
            assert statuses(endless) != {"hvp": "passed"} and "timed out" in messages(endless, "hvp")
            assert statuses(driven.save(SEES_NO_STATE)[-1].result) == {"hvp": "passed"}
        finally:
            driven.stop()


def _result(**statuses_by_test: str) -> SubmissionResult:
    tests = [
        GradedTest(name, f"t::{name}", name.split("_")[0], "visible", 1.0, float(status == "passed"), status)
        for name, status in statuses_by_test.items()
    ]
    return SubmissionResult("second_order", "second_order", CHECK, tests=tests)


def test_the_report_says_what_changed_since_the_last_check():
    before = _result(hvp_small="passed", hvp_large="passed", hessian_w="failed", penalty_value="passed")
    now = _result(hvp_small="failed", hvp_large="failed", hessian_w="passed", penalty_value="passed")
    changes = Changes.between(before, now)
    assert changes == Changes(passing=("hessian",), failing=("hvp", "hvp"))
    console = Console(file=io.StringIO(), width=100)
    console.print(
        WatchReport(now, changes, file_name="second_order.py", seconds=0.123, checking=("penalty",))
    )
    shown = console.file.getvalue()
    assert "second_order.py checked in 0.12 s" in shown
    assert "Still checking penalty (shown as last checked)" in shown
    assert "Since the last check: now passing hessian (1 test); now failing hvp (2 tests)." in shown
    first = Console(file=io.StringIO(), width=100)
    first.print(WatchReport(now, Changes(), file_name="second_order.py", seconds=3.0, first_check=True))
    assert "Since the last check" not in first.file.getvalue()
    assert "changed its outcome" not in first.file.getvalue()


def test_watch_is_an_option_of_check():
    parser = argparse.ArgumentParser()
    check.add_arguments(parser)
    options = parser.parse_args(["--watch", "--question", "hvp", "--slow"])
    assert options.watch and options.question == ["hvp"] and options.slow


# --- through a terminal -------------------------------------------------------------------------


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, and every process in the sessions they lead (a worker
    starts a session of its own, and its children stay in it)."""
    parents, sessions = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            sessions[int(entry.name)] = int(fields[3])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, its_parent in parents.items():
            if child not in found and (its_parent == parent or (sessions[child] == parent and parent != pid)):
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def kill_all(process: subprocess.Popen, started: set[int]) -> None:
    """Whatever a test's grader left running: its session, then each process it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    for pid in started:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def _terminal_of_its_own() -> None:
    """In the child: a session of its own whose controlling terminal is the pty (its stdin),
    so that Ctrl-C typed there interrupts it as it would a student's command."""
    import fcntl  # POSIX only, as the test is
    import termios

    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def read_until(fd: int, pattern: str, seconds: float) -> str:
    seen = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            seen += chunk
            if re.search(pattern, seen.decode("utf-8", "replace")):
                return seen.decode("utf-8", "replace")
    raise AssertionError(f"no {pattern!r} within {seconds} s:\n{seen.decode('utf-8', 'replace')[-3000:]}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("ending", ["ctrl-c", "terminal closed", "kill"])
@pytest.mark.slow
def test_ctrl_c_in_a_terminal_ends_the_watch_and_every_process_it_started(tmp_path, ending):
    import pty  # POSIX only

    student = tmp_path / "second_order.py"
    student.write_text(CORRECT)
    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "GRADER_ASSIGNMENTS": str(ASSIGNMENTS)}
    grader_command = [sys.executable, "-m", "grader", "check", str(student), "--watch"]
    process = subprocess.Popen(
        grader_command,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        cwd=ROOT,
        env=env,
        preexec_fn=_terminal_of_its_own,
    )
    os.close(secondary)
    started: set[int] = set()
    try:
        read_until(primary, r"Watching for saves", WAIT)
        student.write_text(ENDLESS)  # a question now spins in a process of its own
        deadline = time.monotonic() + WAIT
        while not (started := descendants(process.pid)) or len(started) < 3:
            assert time.monotonic() < deadline, "the check of the save never started"
            time.sleep(0.2)
        time.sleep(1.0)
        started |= descendants(process.pid)
        if ending == "ctrl-c":
            os.write(primary, b"\x03")  # through the terminal, as a student types it
            assert process.wait(timeout=60) == 0
            read_until(primary, r"Stopped watching", 5)
        elif ending == "terminal closed":  # SIGHUP
            os.close(primary)
            primary = -1
            process.wait(timeout=60)
        else:
            process.terminate()
            process.wait(timeout=60)
        assert not [pid for pid in started if alive(pid)]
    finally:
        kill_all(process, started)
        if primary >= 0:
            os.close(primary)
