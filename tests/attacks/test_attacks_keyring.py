"""Nothing of a submission survives it in the kernel: its uid's keyring is out of reach.

The kernel keeps a uid's user keyring after its last process ends, and neither PID, mount,
IPC nor network namespaces cover it; uids are leased again all term. hostile_keyring/writer
(correct) adds its own source to its user keyring from a child interpreter; graded next with
the same uid (a pool of one), hostile_keyring/reader (the untouched stub) searches that
keyring and runs what it finds. Without the sandbox's seccomp filter the stub scored full
marks; with it add_key, request_key and keyctl fail with EPERM, and the stub scores zero while
the correct submission graded beside it keeps full marks. (Both hand their child interpreter
its code as hex: written out, the static look would see its `ctypes`, and a submission that
opens a door in every question is not run at all.)
"""

from __future__ import annotations

import ctypes
import os

import pytest

from grader.intake.submission import Submission
from grader.sandbox import uid_pool
from tests.conftest import SANDBOX_GROUP, SUBMISSIONS, full_marks
from tests.sandbox.test_isolation import question_scores, sandboxed_grader

pytestmark = [pytest.mark.slow, SANDBOX_GROUP]

FULL = full_marks("second_order")
KEYRING = SUBMISSIONS / "hostile_keyring"
ONLY_UID = uid_pool.FIRST_UID + uid_pool.COUNT + 7
"""Outside the pool other batches draw from, so no one else holds it meanwhile."""
KEYCTL, KEYCTL_CLEAR, KEY_SPEC_USER_KEYRING = 250, 7, -4


def clear_user_keyring(uid: int) -> None:
    """Empty `uid`'s user keyring (what an earlier run may have left), as that uid."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(uid)
            os.setuid(uid)
            libc = ctypes.CDLL(None, use_errno=True)
            libc.syscall(
                ctypes.c_long(KEYCTL), ctypes.c_long(KEYCTL_CLEAR), ctypes.c_long(KEY_SPEC_USER_KEYRING)
            )
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


@pytest.fixture
def one_uid(tmp_path, monkeypatch):
    """A uid pool of one: every submission graded here is leased the same uid."""
    monkeypatch.setenv("GRADER_UID_LOCKS", str(tmp_path / "uid-locks"))
    monkeypatch.setattr(uid_pool, "FIRST_UID", ONLY_UID)
    monkeypatch.setattr(uid_pool, "COUNT", 1)
    clear_user_keyring(ONLY_UID)
    yield ONLY_UID
    clear_user_keyring(ONLY_UID)


def test_a_key_left_in_the_uids_keyring_reaches_no_later_submission(one_uid):
    with sandboxed_grader("second_order") as grader:
        writer, _ = grader.grade(Submission.at(KEYRING / "writer.py"))
        reader, _ = grader.grade(Submission.at(KEYRING / "reader.py"))
        control, _ = grader.grade(Submission.at(SUBMISSIONS / "second_order" / "correct_compact.py"))
    assert question_scores(reader) == {question: 0 for question in FULL}
    assert question_scores(control) == FULL
    # starting a child interpreter is tampering in itself (the audit hook), whatever it does
    assert question_scores(writer) == {question: 0 for question in FULL}
    assert {t.misconception for t in writer.tests} == {"tampering"}
    assert "refused 1" in writer.output and "kept" not in writer.output  # EPERM, from a child
