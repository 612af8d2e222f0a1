"""Global draws seeded per test: a course whose solution and tests call `torch.rand`,
`np.random.rand` and `random.random` with no generator grades a copy of its reference at full
marks, live and against recorded expectations, the same at every re-grade, while a
submission that draws one number more is told apart."""

from __future__ import annotations

import random
import shutil
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from grader import reference as reference_module
from grader.authoring.expectations import recorded_expectations
from grader.course.assignment import Assignment
from grader.grading import CHECK, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.reference import LiveReference
from grader.worker.global_draws import DrawStream, seeded
from tests.small_course import grade, write_course

STUB = '''\
import random

import numpy as np
import torch


def noisy(x):
    """x plus noise from the global generators."""
    raise NotImplementedError("noisy")


class Walker:
    """A random walk from a random start."""

    def __init__(self, n):
        self.position = torch.randn(n)

    def step(self, scale):
        """Move by scale times uniform noise; return the new position."""
        raise NotImplementedError("step")
'''
SOLUTION = STUB.replace(
    'raise NotImplementedError("noisy")',
    "return x + torch.rand(x.shape) + float(np.random.rand()) + random.random()",
).replace(
    'raise NotImplementedError("step")',
    "self.position = self.position + scale * torch.rand(self.position.shape)\n"
    "        return self.position.clone()",
)
TESTS = '''\
import pytest
import torch

from grader.testing import expect_close


@pytest.mark.question("noisy")
def test_noisy{half}(student, reference, seed):
    """noisy matches the reference on the test's own global draws"""
    for _ in range(2):
        x = torch.rand(3)
        reply = student.noisy(x)
        expect_close(reply.value, reference.noisy(x), what=reply.call)


@pytest.mark.question("noisy")
def test_noisy_published{half}(student, reference):
    """noisy on the published seed"""
    x = torch.rand(2)
    reply = student.noisy(x)
    expect_close(reply.value, reference.noisy(x), what=reply.call)


@pytest.mark.question("Walker.step")
def test_walk{half}(student, reference, seed):
    """a walker's steps match the reference's"""
    mine, theirs = student.Walker(4), reference.Walker(4)
    for scale in (1.0, 0.5):
        reply = mine.step(scale)
        expect_close(reply.value, theirs.step(scale), what=reply.call)
    expect_close(mine.position, theirs.position, what="Walker.position")
'''


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_course(
        tmp_path_factory.mktemp("draws"),
        "draws",
        questions={"noisy": (10, 10), "Walker.step": (10, 10)},
        stub=STUB,
        solution=SOLUTION,
        public_tests=TESTS.replace("{half}", ""),
        hidden_tests=TESTS.replace("{half}", "_hidden"),
    )


def submissions(course: Path, tmp_path: Path) -> dict[str, Path]:
    reference = course.parent.parent / "reference" / "draws" / "draws.py"
    copy = tmp_path / "copy" / "draws.py"
    copy.parent.mkdir()
    shutil.copy(reference, copy)
    extra = tmp_path / "extra" / "draws.py"
    extra.parent.mkdir()
    extra.write_text(SOLUTION.replace("return x + torch.rand", "torch.rand(1)\n    return x + torch.rand"))
    return {"reference": reference, "copy": copy, "extra": extra}


def test_a_copy_of_the_reference_gets_full_marks_at_every_regrade(course: Path, tmp_path: Path) -> None:
    first = grade(course, submissions(course, tmp_path))
    again = grade(course, {"copy": tmp_path / "copy" / "draws.py"})
    for name in ("reference", "copy"):
        assert first[name].score == first[name].max_score == 40, [
            (t.name, t.message) for t in first[name].tests if not t.passed
        ]
    assert [t.to_dict() | {"seconds": 0} for t in again["copy"].tests] == [
        t.to_dict() | {"seconds": 0} for t in first["copy"].tests
    ]
    extra = {t.name: t.passed for t in first["extra"].tests if t.question == "noisy"}
    assert extra and not any(extra.values()), "one more draw changes every later draw"


def test_recorded_expectations_hold_for_a_copy_in_grader_check(course: Path, tmp_path: Path) -> None:
    path, text = recorded_expectations(str(course), None)
    Path(path).write_text(text)
    copy = submissions(course, tmp_path)["copy"]
    with Grader(Assignment.load(course), GradingOptions(mode=CHECK)) as grader:
        result = grader.grade(Submission("copy", copy))[0]
    assert result.tests and all(t.passed for t in result.tests), [(t.name, t.message) for t in result.tests]


def test_seeded_puts_back_the_generators_it_found() -> None:
    torch.manual_seed(5)
    before = torch.rand(1)
    torch.manual_seed(5)
    with seeded(123):
        inside = (torch.rand(1), float(np.random.rand()), random.random())
    assert torch.equal(torch.rand(1), before)
    with seeded(123):
        assert (torch.rand(1), float(np.random.rand()), random.random()) == inside
    with seeded(2**40 + 7):  # numpy's seed is taken modulo 2**32
        assert float(np.random.rand()) == float(np.random.RandomState(7).rand())


def test_a_stream_continues_across_blocks_whatever_is_drawn_between() -> None:
    stream, plain = DrawStream(9), DrawStream(9)
    with stream.active():
        first = torch.rand(2)
    torch.rand(100)  # the test's own draws
    with stream.active():
        second = torch.rand(2)
    with plain.active():
        both = torch.rand(4)
    assert torch.equal(torch.cat([first, second]), both)
    assert stream.drew()
    where = stream.key()
    with stream.active():
        pass
    assert not stream.drew() and stream.key() == where
    idle = DrawStream(9)
    start = idle.key()
    with idle.active():
        pass
    assert not idle.drew() and idle.key() == start, "a block that draws nothing keeps a cache key"


def test_the_reference_keeps_an_answer_that_drew_nothing_never_one_that_drew(monkeypatch) -> None:
    monkeypatch.setattr(reference_module, "SLOW_ANSWER_SECONDS", 0.0)  # every answer is slow
    calls: list[str] = []

    def steady(x: torch.Tensor) -> torch.Tensor:
        calls.append("steady")
        return x * 2

    def noisy(x: torch.Tensor) -> torch.Tensor:
        calls.append("noisy")
        return x + torch.rand(())

    live = LiveReference(
        types.SimpleNamespace(steady=steady, noisy=noisy), types.SimpleNamespace(FUNCTIONS={}, PROBES={})
    )
    live.begin_test(1)
    assert torch.equal(live.steady(torch.ones(1)), live.steady(torch.ones(1)))
    first, second = live.noisy(torch.ones(1)), live.noisy(torch.ones(1))
    assert calls == ["steady", "noisy", "noisy"] and not torch.equal(first, second)
    live.begin_test(1)  # the next submission's test: the same draws again
    assert torch.equal(live.noisy(torch.ones(1)), first)


SEED_READER = '''\
import torch


def seed_seen():
    """The seed the global generator started this test from."""
    return torch.tensor(float(torch.initial_seed()), dtype=torch.float64)
'''
SEED_TESTS = '''\
import pytest

from grader.testing import expect


@pytest.mark.question("seed_seen")
def test_seed_stays_private{half}(student, seed):
    """what student code reads back of its global generator is not the test's seed"""
    seen = int(student.seed_seen().value)
    expect(seen != seed and seen != seed % 2**32, f"student code read the test's seed {seed}")
'''


def test_student_code_cannot_read_the_tests_seed_from_its_generator(tmp_path: Path) -> None:
    """`torch.initial_seed()` gives the global draws' own seed: knowing it tells nothing of
    the test's `seed`, from which a test may draw more than it hands over."""
    course = write_course(
        tmp_path,
        "reader",
        questions={"seed_seen": (5, 5)},
        stub=SEED_READER,
        solution=SEED_READER,
        public_tests=SEED_TESTS.replace("{half}", ""),
        hidden_tests=SEED_TESTS.replace("{half}", "_hidden"),
    )
    reader = course.parent.parent / "reference" / "reader" / "reader.py"
    result = grade(course, {"reader": reader})["reader"]
    assert result.tests and all(t.passed for t in result.tests), [(t.name, t.message) for t in result.tests]


def test_the_globals_are_seeded_as_torch_manual_seed_seeds_them(monkeypatch):
    """A build with only the CPU seeds its one generator, without the stack torch keeps for
    each device built in; a build with a device goes through torch.manual_seed itself."""
    from grader.worker import global_draws

    with seeded(7):
        ours = torch.rand(4)
    torch.manual_seed(7)
    assert torch.equal(ours, torch.rand(4))
    cpu_only = not any(getattr(torch._C, name, False) for name in ("_has_cuda", "_has_xpu", "_has_mps"))
    if cpu_only:
        assert global_draws._torch_seeder() == torch.default_generator.manual_seed
    monkeypatch.setattr(torch._C, "_has_cuda", True, raising=False)
    assert global_draws._torch_seeder() is torch.manual_seed
