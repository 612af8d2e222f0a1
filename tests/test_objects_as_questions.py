"""Objects as questions: a test makes the student's objects and drives them like functions,
the object staying in the student's process, each call guarded and limited as a function's;
a question names a class, a method or a function, and the static look follows it there."""

from __future__ import annotations

import pytest

from grader.course.misconceptions import CHANGED_INPUTS
from grader.static_check import tampering_by_question
from tests.small_course import both_halves, grade, write_course

STUB = '''\
import torch


class Running:
    """A running mean of the tensors it is shown."""

    def __init__(self, decay=0.5):
        self.decay = decay
        self.mean = None
        self.history = []

    def update(self, x):
        """Fold x into the mean and note the mean's sum in history; return nothing."""
        raise NotImplementedError("update")


def total(running):
    """The sum of a Running's history."""
    raise NotImplementedError("total")
'''
SOLUTION = STUB.replace(
    'raise NotImplementedError("update")',
    "self.mean = x.clone() if self.mean is None else self.decay * self.mean + (1 - self.decay) * x\n"
    "        self.history.append(float(self.mean.sum()))",
).replace('raise NotImplementedError("total")', "return sum(running.history)")
TESTS = '''\
import pytest
import torch

from grader.testing import expect_clean_call, expect_close


@pytest.mark.question("Running.update")
def test_update{half}(student, reference, seed):
    """update keeps a running mean and its history"""
    generator = torch.Generator().manual_seed(seed)
    mine, theirs = student.Running(decay=0.25), reference.Running(decay=0.25)
    for _ in range(3):
        x = torch.randn(4, generator=generator)
        reply = mine.update(x)
        expect_clean_call(reply)
        theirs.update(x)
    expect_close(mine.mean, theirs.mean, what="Running.mean")
    expect_close(torch.tensor(mine.history), torch.tensor(theirs.history), what="Running.history")


@pytest.mark.question("total")
def test_total{half}(student, reference, seed):
    """total reads an object handed back to the student"""
    generator = torch.Generator().manual_seed(seed)
    mine, theirs = student.Running(), reference.Running()
    for _ in range(2):
        x = torch.randn(2, generator=generator)
        mine.update(x)
        theirs.update(x)
    got, expected = student.total(mine).value, reference.total(theirs)
    expect_close(torch.tensor(got), torch.tensor(expected), what="total(running)")
'''
IN_PLACE = SOLUTION.replace("(1 - self.decay) * x", "x.mul_(1 - self.decay)")
DOOR = SOLUTION.replace('        """Fold x', '        getattr(torch, "__wrapped__", None)\n        """Fold x')


@pytest.fixture
def course(tmp_path):
    return write_course(
        tmp_path,
        "running",
        questions={"Running.update": (30, 30), "total": (20, 20)},
        stub=STUB,
        solution=SOLUTION,
        **both_halves(TESTS),
    )


@pytest.mark.slow
def test_a_method_question_is_graded_on_an_object_living_in_the_students_process(course, tmp_path):
    sources = {"right": SOLUTION, "stub": STUB, "in_place": IN_PLACE, "door": DOOR}
    for name, text in sources.items():
        (tmp_path / f"{name}.py").write_text(text)
    results = grade(course, {name: tmp_path / f"{name}.py" for name in sources})
    right, stub, in_place, door = (results[name] for name in sources)
    assert right.score == right.max_score == 100, [t.message for t in right.tests]
    assert stub.score == 0 and {q.status for q in stub.questions()} == {"not attempted"}
    update = [t for t in in_place.tests if t.question == "Running.update"]
    assert not any(t.passed for t in update) and in_place.score == 40, [t.message for t in update]
    assert {t.misconception for t in update} == {"in_place_update"}
    assert update[0].message.startswith("Running.update changed its inputs")
    assert {t.misconception for t in door.tests if t.question == "Running.update"} == {"tampering"}


@pytest.mark.parametrize("question", ["Running.update", "update", "Running"])
def test_a_door_inside_a_method_is_found_whatever_the_question_is_named(question):
    assert tampering_by_question(DOOR, [question, "total"]) == {question: ["__wrapped__"]}
    assert tampering_by_question(SOLUTION, [question]) == {}


ADAPTER = '''\
import torch


class Adapter:
    """Weights, and a step away from them that leaves them as they are."""

    def __init__(self):
        self.weights = torch.ones(3)
        self.steps = 0

    def adapted(self, step):
        """The weights moved by -step, as a new tensor: self stays as it was."""
        raise NotImplementedError("adapted")

    def move(self, step):
        """Move the weights themselves by -step (this method is meant to change self)."""
        raise NotImplementedError("move")
'''
ADAPTER_SOLUTION = ADAPTER.replace(
    'raise NotImplementedError("adapted")', "return self.weights - step"
).replace('raise NotImplementedError("move")', "self.weights = self.weights - step\n        self.steps += 1")
ADAPTER_IN_PLACE = ADAPTER_SOLUTION.replace(
    "return self.weights - step", "self.weights.sub_(step)\n        return self.weights.clone()"
)
ADAPTER_TESTS = '''\
import pytest
import torch

from grader.testing import expect_clean_call, expect_close


@pytest.mark.question("Adapter.adapted")
def test_adapted{half}(student, reference, seed):
    """adapted moves a copy of the weights and leaves the object's own"""
    step = torch.rand(3, generator=torch.Generator().manual_seed(seed))
    mine, theirs = student.Adapter(), reference.Adapter()
    reply = mine.adapted(step)
    expect_clean_call(reply, keep_self=True)
    expect_close(reply.value, theirs.adapted(step), what=reply.call)


@pytest.mark.question("Adapter.move")
def test_move{half}(student, reference, seed):
    """move changes the object, as it is meant to"""
    step = torch.rand(3, generator=torch.Generator().manual_seed(seed))
    mine, theirs = student.Adapter(), reference.Adapter()
    reply = mine.move(step)
    expect_clean_call(reply)
    assert reply.modified_self, "a method that changes its object is told so"
    theirs.move(step)
    expect_close(mine.weights, theirs.weights, what="Adapter.weights")
'''


@pytest.mark.slow
def test_a_method_that_should_leave_its_object_alone_is_caught_changing_it(tmp_path):
    """`reply.modified_self` says what a method changed of its object; a test of a method
    meant to leave it alone fails on it (`keep_self`), one meant to change it does not."""
    course = write_course(
        tmp_path / "course",
        "adapter",
        questions={"Adapter.adapted": (10, 10), "Adapter.move": (10, 10)},
        stub=ADAPTER,
        solution=ADAPTER_SOLUTION,
        **both_halves(ADAPTER_TESTS),
    )
    for name, text in {"right": ADAPTER_SOLUTION, "in_place": ADAPTER_IN_PLACE}.items():
        (tmp_path / f"{name}.py").write_text(text)
    results = grade(course, {name: tmp_path / f"{name}.py" for name in ("right", "in_place")})
    assert results["right"].score == 40, [t.message for t in results["right"].tests if not t.passed]
    lost = [t for t in results["in_place"].tests if not t.passed]
    assert {t.question for t in lost} == {"Adapter.adapted"} and results["in_place"].score == 20
    assert {t.misconception for t in lost} == {CHANGED_INPUTS}
    assert "changed its object's tensors (self.weights's values changed)" in lost[0].message
