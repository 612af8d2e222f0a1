"""A test's own global draws (``torch.rand`` in the test body, with no generator) are data the
test may keep from student code: a held-out set it scores on. Student code reads back its own
generator's seed (``torch.initial_seed()``) and, seeded alike, replays the test's draws; the
test's own draws must start from a seed student code is never given."""

from __future__ import annotations

import pytest

from tests.small_course import grade, write_course

STUB = '''\
import torch


def fit(x):
    """Return a guess of the 4 values the test keeps to itself (no one can know them)."""
    return torch.zeros(4)
'''
TESTS = '''\
import pytest
import torch

from grader.testing import expect


@pytest.mark.question("fit")
def test_held_out_stays_held_out{half}(student, seed):
    """the values a test draws and keeps are not known to student code"""
    held_out = torch.rand(4)  # never handed over
    train = torch.rand(8)
    reply = student.fit(train)
    expect(not torch.allclose(reply.value, held_out), "student code knew the held-out draws")


@pytest.mark.question("fit")
def test_held_out_stays_held_out_published{half}(student):
    """the same on the published seed"""
    held_out = torch.rand(4)
    reply = student.fit(torch.rand(8))
    expect(not torch.allclose(reply.value, held_out), "student code knew the held-out draws")
'''
REPLAYS = '''\
import torch


def fit(x):
    """The test drew 4 values, then x: replay the test's stream from the seed we were given."""
    torch.manual_seed(torch.initial_seed())
    return torch.rand(4)
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bool]:
    root = tmp_path_factory.mktemp("held_out")
    course = write_course(
        root,
        "heldout",
        questions={"fit": (10, 10)},
        stub=STUB,
        solution=STUB,
        public_tests=TESTS.replace("{half}", ""),
        hidden_tests=TESTS.replace("{half}", "_hidden"),
    )
    attack = root / "attack" / "heldout.py"
    attack.parent.mkdir()
    attack.write_text(REPLAYS)
    result = grade(course, {"attack": attack})["attack"]
    assert result.tests, result.problem
    return {t.nodeid: t.passed for t in result.tests if t.passed or "held-out" in t.message}


def test_student_code_cannot_replay_the_tests_own_draws(graded: dict[str, bool]) -> None:
    assert len(graded) == 4
    known = [nodeid for nodeid, passed in graded.items() if not passed]
    assert not known, f"student code replayed the test's held-out draws in {known}"
