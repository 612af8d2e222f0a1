"""`grader new NAME --template class`: the example question is a method of a class.

The tests make the student's object (``student.LinearModel(w=0.5, lr=0.1)``), drive it
(``model.step(x, y)``, each call guarded and time-limited) and read its state
(``model.w``, ``model.history``); the known-wrong variant is a subclass of the reference's
class that overrides the method. Placeholders as in :mod:`grader.authoring.scaffold`.
"""

STUB = '''\
"""Homework: {name}.

Worked example: {example}(w=0.0, lr=0.1).step(tensor([1., 2.]), tensor([2., 4.])) leaves
w = 1 (the loss was 10, its gradient -10) and history == [10.0].

Never change an input (its values, its requires_grad or its .grad): work on copies such as
``w.detach().clone().requires_grad_(True)``. Run ``grader check`` to test your work.
"""

from __future__ import annotations

import torch
from torch import Tensor


class {example}:
    """A line through the origin, y = w x, fitted by gradient steps."""

    def __init__(self, w: float = 0.0, lr: float = 0.1) -> None:
        self.w = torch.tensor(w)
        self.lr = lr
        self.history: list[float] = []

    def step(self, x: Tensor, y: Tensor) -> None:
        """One gradient step on the mean squared error of w * x against y, by autograd:
        replace self.w by w - lr * gradient, and append the loss before the step to
        self.history (as a float). Return nothing."""
        raise NotImplementedError("step")
'''

LESSONS = """\
<!-- intro -->
# {name}

Fill in each method, then check your work with `grader check` in a terminal, or
`from grader import check; check("{example}.step")` in this notebook.

<!-- before {example} -->
## 1. A gradient step, kept in an object

Take the loss from a copy of `self.w` that requires grad, ask `torch.autograd.grad` for
its gradient, and keep the stepped weight, detached, in `self.w`.
"""

CATALOGUE = '''\
# The mistakes `{name}` recognises: a failing test that shows one carries its code and the
# report explains it. Codes are used in the tests (expect, expect_close's variants) and in
# reference/{name}/variants.py docstrings ("code: what the variant does").

[in_place_update]
title = "inputs changed in place"
explanation = """
Your method changed the tensors it was given (their values, requires_grad or .grad).
Work on copies: self.w.detach().clone().requires_grad_(True).
"""

[wrong_sign]
title = "a step up the gradient"
explanation = """
Your weight moved with the gradient, so the loss grew: a descent step subtracts
lr * gradient from the weight.
"""
'''

PUBLIC_TESTS = '''\
"""Public tests for `{name}`: `grader check` runs them on a student's machine against the
values `grader record {name}` wrote to expected.json. Each test makes the student's object
(`student.{example}(...)`), drives it (`model.step(x, y)`) and reads its state (`model.w`)."""

import pytest
import torch

from grader.testing import expect_clean_call, expect_close


def drive(model, x, y, steps):
    """Step `model` `steps` times on (x, y); the calls' replies (the student's are checked)."""
    return [model.step(x, y) for _ in range(steps)]


def expect_same_training(student, reference, x, y, steps, w=0.5, lr=0.1):
    """The student's {example} ends where the reference's does, after the same steps."""
    model, ref = student.{example}(w=w, lr=lr), reference.{example}(w=w, lr=lr)
    for reply in drive(model, x, y, steps):
        expect_clean_call(reply)
    drive(ref, x, y, steps)
    ascent = reference.{example}(w=w, lr=-lr)  # a step up the gradient: the wrong_sign mistake
    drive(ascent, x, y, steps)
    expect_close(model.w, ref.w, what="{example}.w after the steps", variants=[("wrong_sign", ascent.w)])
    expect_close(torch.tensor(model.history), torch.tensor(ref.history), what="{example}.history")


@pytest.mark.question("{example}.step")
def test_step_worked_example(student, reference):
    """one step from w = 0 on x = [1, 2], y = [2, 4] leaves w = 1"""
    x, y = torch.tensor([1.0, 2.0]), torch.tensor([2.0, 4.0])
    expect_same_training(student, reference, x, y, steps=1, w=0.0)


@pytest.mark.question("{example}.step")
def test_steps_random(student, reference, seed):
    """three steps match the reference's on random data"""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(8, generator=generator)
    y = 3 * x + 0.1 * torch.randn(8, generator=generator)
    expect_same_training(student, reference, x, y, steps=3)
'''

REFERENCE = '''\
"""Reference solution of `{name}` (instructors only: never in a release)."""

from __future__ import annotations

import torch
from torch import Tensor


class {example}:
    """A line through the origin, y = w x, fitted by gradient steps."""

    def __init__(self, w: float = 0.0, lr: float = 0.1) -> None:
        self.w = torch.tensor(w)
        self.lr = lr
        self.history: list[float] = []

    def step(self, x: Tensor, y: Tensor) -> None:
        w = self.w.detach().clone().requires_grad_(True)
        loss = ((w * x - y) ** 2).mean()
        (grad,) = torch.autograd.grad(loss, w)
        self.w = (w - self.lr * grad).detach()
        self.history.append(float(loss))
'''

VARIANTS = '''\
"""Known-wrong variants of the `{name}` reference (instructors only).

A variant is a function named after its question, a method's replacement, or (as here) a
class that subclasses the reference's and overrides the question's method. Its docstring
starts with its misconception code; `grader validate` grades each as a submission.
"""

from __future__ import annotations

import torch
from torch import Tensor

from {module} import {example}


class {example}Ascends({example}):
    """wrong_sign: steps up the gradient, not down."""

    def step(self, x: Tensor, y: Tensor) -> None:
        w = self.w.detach().clone().requires_grad_(True)
        loss = ((w * x - y) ** 2).mean()
        (grad,) = torch.autograd.grad(loss, w)
        self.w = (w + self.lr * grad).detach()
        self.history.append(float(loss))
'''

HIDDEN_TESTS = '''\
"""Hidden tests for `{name}`: fresh inputs per submission, expected values live from the
reference (instructors only)."""

import pytest
import torch

from grader.testing import expect_clean_call, expect_close


@pytest.mark.question("{example}.step")
@pytest.mark.parametrize("n,steps", [(1, 2), (50, 5)], ids=["n1", "n50"])
def test_steps_hidden(student, reference, seed, n, steps):
    """{{steps}} steps on {{n}} points match the reference's"""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, generator=generator)
    y = -2 * x + 0.1 * torch.randn(n, generator=generator)
    model, ref = student.{example}(w=0.5, lr=0.05), reference.{example}(w=0.5, lr=0.05)
    ascent = reference.{example}(w=0.5, lr=-0.05)
    for _ in range(steps):
        expect_clean_call(model.step(x, y))
        ref.step(x, y)
        ascent.step(x, y)
    expect_close(model.w, ref.w, what="{example}.w after the steps", variants=[("wrong_sign", ascent.w)])
    expect_close(torch.tensor(model.history), torch.tensor(ref.history), what="{example}.history")
'''
