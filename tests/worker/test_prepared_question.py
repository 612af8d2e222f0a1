"""The next question's process is prepared while the last one runs, and is only ever a
stand-by: it answers nothing before its `load`, and one that is gone is replaced.

A stand-in submission process (forked here, no torch) runs the relay's loop with stand-in
questions; this test is the grader, writing requests and reading the replies.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from grader.wire import protocol
from grader.wire.vocabulary import Op, RecordKind, Scope
from grader.worker.records import record
from grader.worker.relay import QuestionPipes, QuestionRelay, relay_questions

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the stand-in processes are forked")


def stand_in_question(load: dict | None, pipes: QuestionPipes, pids: Path):
    """A question process: notes its pid on forking, then answers each request with when it
    was forked and when it read its `load`."""
    forked_at = time.monotonic()
    with pids.open("a") as stream:
        stream.write(f"{os.getpid()}\n")
    requests = os.fdopen(pipes.requests, "rb", buffering=0)
    replies = os.fdopen(pipes.replies, "wb", buffering=0)
    request = load if load is not None else protocol.read_frame(requests)
    loaded_at = time.monotonic()
    while request is not None and request.get("op") != Op.END:
        os.write(pipes.records, record(RecordKind.HEARTBEAT, pipes.nonce.decode()))
        answer = {"ok": True, "pid": os.getpid(), "forked_at": forked_at, "loaded_at": loaded_at}
        protocol.write_frame(replies, answer)
        request = protocol.read_frame(requests)
    os._exit(0)


class StandInSubmission:
    """The relay's loop in a forked child, as a submission's process runs it."""

    def __init__(self, pids: Path) -> None:
        to_child, self._requests = os.pipe()
        self._replies, from_child = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self._requests)
            os.close(self._replies)
            self._serve(
                os.fdopen(to_child, "rb", buffering=0), os.fdopen(from_child, "wb", buffering=0), pids
            )
        os.close(to_child)
        os.close(from_child)
        self.requests = os.fdopen(self._requests, "wb", buffering=0)
        self.replies = os.fdopen(self._replies, "rb", buffering=0)

    @staticmethod
    def _serve(requests, replies, pids: Path):
        try:
            relay = QuestionRelay(replies, reap_all=False)

            def start(load):
                if not relay.start_prepared(load):
                    relay.start(lambda pipes: stand_in_question(load, pipes, pids))

            def prepare():
                relay.prepare_next(lambda: lambda pipes: stand_in_question(None, pipes, pids))

            prepare()
            try:
                relay_questions(requests, replies, relay, start, prepare)
            finally:
                relay.discard_prepared()
        finally:
            os._exit(0)

    def ask(self, message: dict) -> dict:
        protocol.write_frame(self.requests, message)
        return protocol.read_frame(self.replies)

    def close(self) -> None:
        self.requests.close()
        self.replies.close()
        os.waitpid(self.pid, 0)


@pytest.fixture
def submission(tmp_path):
    pids = tmp_path / "pids"
    pids.touch()
    running = StandInSubmission(pids)
    running.pids = pids
    previous = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the relay blocked"))
    signal.alarm(30)
    yield running
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)
    running.close()


def forked_pids(pids: Path) -> list[int]:
    return [int(line) for line in pids.read_text().split()]


def wait_for_forks(pids: Path, count: int) -> list[int]:
    deadline = time.monotonic() + 10
    while len(forked := forked_pids(pids)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return forked


def wait_until_dead(pid: int) -> None:
    """Until the kernel has ended `pid` (a zombie, its parent not having reaped it yet)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.01)


def test_the_next_question_is_forked_while_one_runs_and_waits_for_its_load(submission):
    first = submission.ask({"op": Op.LOAD})
    assert first["ok"] is True
    assert submission.ask({"op": Op.PROBE})["pid"] == first["pid"]
    prepared = wait_for_forks(submission.pids, 2)[1]  # forked beside the first question
    time.sleep(0.2)
    ended = submission.ask({"op": Op.END})
    assert ended["op"] == Op.EXITED and ended["scope"] == Scope.QUESTION
    load_sent = time.monotonic()
    second = submission.ask({"op": Op.LOAD})
    assert second["pid"] == prepared != first["pid"]
    assert second["forked_at"] < load_sent - 0.2  # forked during the first question
    assert second["loaded_at"] >= load_sent  # and it read nothing before its load
    submission.ask({"op": Op.END})


def test_a_prepared_process_that_is_gone_is_replaced_by_a_fresh_one(submission):
    first = submission.ask({"op": Op.LOAD})
    prepared = wait_for_forks(submission.pids, 2)[1]
    os.kill(prepared, signal.SIGKILL)  # as a leftover of the running question could
    wait_until_dead(prepared)
    submission.ask({"op": Op.END})
    second = submission.ask({"op": Op.LOAD})
    assert second["ok"] is True
    assert second["pid"] not in (first["pid"], prepared)
    submission.ask({"op": Op.END})


def test_no_prepared_process_outlives_its_submission(submission):
    submission.ask({"op": Op.LOAD})
    submission.ask({"op": Op.END})
    forked = wait_for_forks(submission.pids, 2)
    protocol.write_frame(submission.requests, {"op": Op.END_SUBMISSION})
    submission.requests.close()
    os.waitpid(submission.pid, 0)
    for pid in forked:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    submission.close = lambda: None


def test_in_the_sandbox_nothing_is_prepared_beside_a_running_question():
    """There a question's end kills every other process of its namespace."""
    upstream = os.fdopen(os.pipe()[1], "wb", buffering=0)
    assert QuestionRelay(upstream, reap_all=True).prepares_beside_questions is False
    assert QuestionRelay(upstream, reap_all=False).prepares_beside_questions is True
