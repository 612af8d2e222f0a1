"""Run the public tests on your work and show what passes, what fails, and why.

Expected values were recorded from the reference solution ahead of time, so this works
offline. Hidden tests, run after the deadline, hold the rest of the points.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import json
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from grader.course.assignment import Assignment
from grader.errors import ExitCode
from grader.head_start import HeadStart
from grader.intake.files import write_text_atomic
from grader.intake.submission import locate_assignment
from grader.results import SubmissionResult

if TYPE_CHECKING:
    from rich.console import Console

    from grader.grading import Grader

Handler = Callable[[int, FrameType | None], None] | int | signal.Handlers

NAME = "check"
HELP = "run the public tests on your work (students)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        nargs="?",
        default=".",
        type=Path,
        help="your assignment file (.py or .ipynb) or its folder (default: .)",
    )
    parser.add_argument("--assignment", help="the assignment name, if not clear from the file name")
    parser.add_argument(
        "--question",
        action="append",
        metavar="Q",
        help="check only this question (a function name); repeatable",
    )
    parser.add_argument(
        "--slow", action="store_true", help="also run the tests marked slow (long training runs)"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--watch", action="store_true", help="check again every time you save, until Ctrl-C")


def run(options: argparse.Namespace) -> int:
    _quick_exit()
    assignment = locate_assignment(options.path, options.assignment)
    questions = assignment.question_selection(options.question)  # a wrong name: before any start
    # A closed terminal or a `kill` ends the check as Ctrl-C does: every process it started
    # is stopped and its folder removed, however far the check had come.
    with _ended_as_by_ctrl_c():
        head_start = HeadStart.begin(assignment, questions=questions)
        try:
            return _check(assignment, questions, options, head_start)
        finally:
            head_start.close()


def _check(
    assignment: Assignment,
    questions: frozenset[str] | None,
    options: argparse.Namespace,
    head_start: HeadStart,
) -> int:
    """Check with the worker already starting: the grader, pytest and torch are imported
    here, while the worker imports its torch (see grader.head_start)."""
    from rich.console import Console

    from grader.grading import CHECK, Grader, GradingOptions
    from grader.intake.submission import Submission
    from grader.outputs.submission_report import SubmissionReport

    grading = GradingOptions(mode=CHECK, run_slow=options.slow, questions=questions, torch_threads=1)
    console = Console()
    if options.watch:
        return _watch(Grader(assignment, grading, head_start), options, console)
    with (
        Grader(assignment, grading, head_start) as grader,
        console.status(f"checking {assignment.file_name}…"),
    ):
        result, _ = grader.grade(Submission.at(options.path, assignment))
    console.print(SubmissionReport(result, catalogue=assignment.misconceptions))
    _write_json(options.json, result)
    return _exit_code(result)


def _watch(grader: Grader, options: argparse.Namespace, console: Console) -> int:
    """Check on every save until Ctrl-C, which ends every process the checks started."""
    from rich.rule import Rule

    from grader.watch import Watch, WatchUpdate

    def show(update: WatchUpdate) -> None:
        if console.is_terminal:
            console.clear()
        else:
            console.print(Rule())
        console.print(update.report)
        if update.final:
            _write_json(options.json, update.result)

    watch = Watch(grader, options.path, on_update=show)
    try:
        with _ended_as_by_ctrl_c():
            with console.status(f"checking {grader.assignment.file_name}…"):
                watch.check_first()
            watch.run()
    except KeyboardInterrupt:
        console.print("Stopped watching.")
    finally:
        with _signals_handled(signal.SIG_IGN, signal.SIGINT, *ENDING_SIGNALS):
            grader.close()  # even if Ctrl-C is pressed again meanwhile
    return _exit_code(watch.last) if watch.last is not None else ExitCode.OK


ENDING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""Signals that end a watch as Ctrl-C does (SIGHUP: its terminal was closed)."""


def _as_ctrl_c(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _ended_as_by_ctrl_c() -> contextlib.AbstractContextManager[None]:
    """A terminal closed or a `kill` ends the watch and every process it started, as Ctrl-C."""
    return _signals_handled(_as_ctrl_c, *ENDING_SIGNALS)


@contextlib.contextmanager
def _signals_handled(handler: Handler, *signals: signal.Signals) -> Iterator[None]:
    """Handle `signals` with `handler` meanwhile (in the main thread: only it has handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, handler) for number in signals}
    try:
        yield
    finally:
        for number, old in previous.items():
            if old is not None:  # None: not set from Python, and cannot be put back from it
                signal.signal(number, old)


def _write_json(path: Path | None, result: SubmissionResult) -> None:
    if path:
        write_text_atomic(path, json.dumps(result.to_dict(), indent=2) + "\n")


def _exit_code(result: SubmissionResult) -> ExitCode:
    return ExitCode.OK if result.all_passed else ExitCode.TESTS_FAILED


def _quick_exit() -> None:
    """As the interpreter exits, skip the collector's walks over every torch object still in
    memory (about 0.25 s of a student's wait); everything is still flushed and closed."""
    atexit.unregister(gc.freeze)  # once, however often run() is called in one process
    atexit.register(gc.freeze)
