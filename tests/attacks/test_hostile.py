"""Hostile submissions get nothing and harm nothing.

Graded in the bubblewrap sandbox, as `grader grade` does by default. Each submission
attacks differently; each test asserts the exact scores and that nothing outside the
sandbox changed: no marker files, no stray processes, other results intact.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from grader.commands.grade import grade_batch
from grader.course.assignment import Limits, find_assignment
from grader.errors import GraderError
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.sandbox.bubblewrap import Sandbox
from grader.sandbox.uid_pool import leased_uids
from tests.conftest import REFERENCE, ROOT, SANDBOX_GROUP, SUBMISSIONS, full_marks

pytestmark = SANDBOX_GROUP

HOSTILE = SUBMISSIONS / "hostile"
LIMITS = Limits(call_seconds=5, import_seconds=20, memory_mib=2048)
FULL = full_marks("second_order")
EXPECTED = {
    "clean_half_then_cheats": {"first_order_grads": 0, "second_partials": 0, "grads_without_zeroing": 0},
    "hang_memory_segfault": {"hessian": 0, "hvp": 0, "gradient_penalty": 0},
    "escape_artist": {question: 0 for question in FULL},
    "exits_at_import": {question: 0 for question in FULL},
    "loops_at_import": {question: 0 for question in FULL},
    "floods_output": {},
    # trace_1_leaves starts its daemon with subprocess: starting a program is tampering
    # (grads_without_zeroing reuses first_order_grads)
    "trace_1_leaves": {"first_order_grads": 0, "grads_without_zeroing": 0},
    "trace_2_finds": {"first_order_grads": 0, "grads_without_zeroing": 0},
}
MARKERS = ("hacked-marker", "found-reference", "daemon-survived", "unpickled-marker")


def sandbox_or_skip():
    assignment = find_assignment("second_order")
    try:
        return Sandbox.require(assignment)
    except GraderError as exc:
        if os.environ.get("GRADER_REQUIRE_SANDBOX"):
            raise
        pytest.skip(f"no sandbox here: {exc}")


def sandbox_processes(uids: set[int]) -> list[str]:
    """Processes of these sandbox uids still alive (each submission has one of its own)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        owners = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
        if any(int(uid) in uids for uid in owners):
            found.append(pid)
    return found


class Listener:
    """Counts connections to a loopback port, to prove the sandbox has no network."""

    def __init__(self) -> None:
        self.connections = 0
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))  # a free port: two runs on one host never clash
        self.port = self.server.getsockname()[1]
        self.server.listen()
        self.server.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop:
            try:
                connection, _ = self.server.accept()
                self.connections += 1
                connection.close()
            except OSError:
                pass

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.server.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every hostile submission, plus a correct one, in one sandboxed batch."""
    sandbox = sandbox_or_skip()
    root = tmp_path_factory.mktemp("hostile")
    batch = root / "submissions"
    shutil.copytree(HOSTILE, batch)
    shutil.copy(SUBMISSIONS / "second_order" / "correct_compact.py", batch / "aaa_correct.py")
    listener = Listener()
    (batch / "escape_artist.py").write_text(
        (batch / "escape_artist.py")
        .read_text()
        .replace('os.environ.get("GRADER_TEST_PORT", "1")', str(listener.port))
    )
    out = root / "out"
    assignment = find_assignment("second_order")
    grader = Grader(
        assignment,
        GradingOptions(
            mode=GRADE,
            reference_dir=REFERENCE / "second_order",
            sandbox=sandbox,
            limits=LIMITS,
        ),
    )
    submissions = [Submission.at(path) for path in sorted(batch.glob("*.py"))]
    locks = root / "uid-locks"  # this batch's own, to tell its uids from other batches'
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("GRADER_UID_LOCKS", str(locks))
            batch_results = grade_batch(grader, submissions, out, Console(file=io.StringIO()))
    finally:
        listener.close()
        grader.close()
    return {
        "results": {r.submission_id: r for r in batch_results},
        "out": out,
        "root": root,
        "listener": listener,
        "sandbox": sandbox,
        "uids": leased_uids(locks),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPECTED)
def test_hostile_submission_scores(graded, name):
    result = graded["results"][name]
    scores = {q.question: q.score for q in result.questions()}
    assert scores == pytest.approx({**FULL, **EXPECTED[name]}, abs=1e-6), [
        (t.question, t.status, t.message[:100]) for t in result.tests if not t.passed
    ]


@pytest.mark.slow
def test_each_attack_fails_with_the_right_status(graded):
    statuses = {name: {q.question: q.status for q in r.questions()} for name, r in graded["results"].items()}
    assert statuses["hang_memory_segfault"]["hessian"] == "timed out"
    assert statuses["hang_memory_segfault"]["hvp"] == "memory limit"
    assert statuses["hang_memory_segfault"]["gradient_penalty"] == "crashed"
    assert statuses["clean_half_then_cheats"]["grads_without_zeroing"] == "crashed"
    assert set(statuses["exits_at_import"].values()) == {"import failed"}
    assert set(statuses["loops_at_import"].values()) == {"import failed"}
    finds = graded["results"]["trace_2_finds"].tests[0].message
    assert "nothing of the previous submission is reachable" in finds
    exits = graded["results"]["exits_at_import"].tests[0].message
    assert exits == "the submission exited with code 0 while importing"
    segfault = next(
        t for t in graded["results"]["hang_memory_segfault"].tests if t.question == "gradient_penalty"
    )
    assert "segmentation fault" in segfault.message


@pytest.mark.slow
def test_the_correct_submission_in_the_same_batch_is_untouched(graded):
    full = sum(FULL.values())
    assert graded["results"]["aaa_correct"].score == pytest.approx(full)
    text = (graded["out"] / "aaa_correct" / "results.json").read_text()
    assert f'"score": {full:g}' in text and "hacked" not in text


@pytest.mark.slow
def test_nothing_outside_the_sandbox_changed(graded):
    time.sleep(4)  # the daemon would write its marker after 3 s
    searched = [graded["root"], ROOT / "reference", ROOT / "assignments", Path("/tmp"), Path.cwd()]
    for folder in searched:
        for marker in MARKERS:
            assert not list(folder.glob(marker)) and not list(folder.glob(f"*/{marker}")), (folder, marker)
    gradebook = (graded["out"] / "gradebook.csv").read_text()
    assert "me,100" not in gradebook
    assert graded["listener"].connections == 0
    assert graded["uids"] and sandbox_processes(graded["uids"]) == []


@pytest.mark.slow
def test_output_is_capped_and_never_parsed(graded):
    flood = graded["results"]["floods_output"]
    assert len(flood.output) < 20_000 and "bytes of output left out" in flood.output
    cheats = graded["results"]["clean_half_then_cheats"]
    assert "42 passed" in cheats.output  # kept for the report, but it scored nothing
    assert cheats.score == pytest.approx(sum({**FULL, **EXPECTED["clean_half_then_cheats"]}.values()))


@pytest.mark.slow
def test_each_stall_is_ended_by_its_limit(graded):
    """A submission that never finishes importing is stopped at the import limit, a call that
    hangs at the call limit. What the batch then takes: benchmarks/hostile_batch.py."""
    loops = graded["results"]["loops_at_import"].tests[0].message
    assert f"timed out after {LIMITS.import_seconds:g} s of CPU time while importing" in loops, loops
    hang = next(t for t in graded["results"]["hang_memory_segfault"].tests if t.question == "hessian")
    assert f"timed out after {LIMITS.call_seconds:g} s of CPU time" in hang.message, hang.message
