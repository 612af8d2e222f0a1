"""`grader new NAME`: a complete assignment with one example question, ready to validate.

It writes both halves (``assignments/NAME/`` and ``reference/NAME/``) under a course
folder, then builds the notebook and records the public expectations, so that
``grader validate`` passes on what it generated. The instructor then edits each file; every
one says what it is for. The student's module may be named apart from the assignment
(``--module``), and the example question is a function or (``--template class``) a method
of a class the tests make and drive.
"""

from __future__ import annotations

from pathlib import Path

from grader.authoring import class_template
from grader.errors import GraderError
from grader.intake.files import READABLE_BY_ALL, write_text_atomic

EXAMPLE = "square_grad"

ASSIGNMENT_TOML = """\
title = "{name}"
module = "{module}"

[limits]
call_seconds = 10
import_seconds = 60
memory_mib = 2048

# Each question's points, split between its public tests (run by `grader check`) and its
# hidden tests (run only by `grader grade`).
[questions]
{question} = {{ public = 40, hidden = 60 }}

# Helpers a question may forbid (tests call expect_clean_call(reply, forbid_helpers=True)):
# [forbidden]
# advice = "compute it with torch.autograd.grad"
# [forbidden.helpers]
# "torch.func" = ["grad", "vmap"]
"""

STUB = '''\
"""Homework: {name}.

Worked example: {example}(torch.tensor([1., 2.])) -> [2., 4.]

Never change an input (its values, its requires_grad or its .grad): work on copies such as
``x.detach().clone().requires_grad_(True)``. Run ``grader check`` to test your work.
"""

from __future__ import annotations

import torch
from torch import Tensor


def {example}(x: Tensor) -> Tensor:
    """Return the gradient of sum(x ** 2) with respect to x, computed by autograd."""
    raise NotImplementedError("{example}")
'''

LESSONS = """\
<!-- intro -->
# {name}

Fill in each function, then check your work with `grader check` in a terminal, or
`from grader import check; check("{example}")` in this notebook.

<!-- before {example} -->
## 1. A gradient by autograd

Build the sum of squares from a copy of `x` that requires grad, and ask
`torch.autograd.grad` for its gradient.
"""

PROBES = '''\
"""Trusted test code that runs beside the submission (see grader.testing).

FUNCTIONS: functions a test sends by name (`Fn("name", args)`), built on each side.
PROBES: code that calls into a module and differentiates through its output.
"""

from __future__ import annotations

from typing import Any, Callable

FUNCTIONS: dict[str, Callable[..., Any]] = {{}}
PROBES: dict[str, Callable[..., Any]] = {{}}
'''

CATALOGUE = '''\
# The mistakes `{name}` recognises: a failing test that shows one carries its code and the
# report explains it. Codes are used in the tests (expect, expect_close's variants) and in
# reference/{name}/variants.py docstrings ("code: what the variant does").

[in_place_update]
title = "inputs changed in place"
explanation = """
Your function changed the tensors it was given (their values, requires_grad or .grad).
Work on copies: x.detach().clone().requires_grad_(True).
"""

[backward_twice]
title = "the gradient accumulated over two backward passes"
explanation = """
Your answer is twice the gradient: backward ran twice into the same .grad. Use
torch.autograd.grad, which returns the gradient instead of accumulating it.
"""
'''

PUBLIC_TESTS = '''\
"""Public tests for `{name}`: `grader check` runs them on a student's machine against the
values `grader record {name}` wrote to expected.json."""

import pytest
import torch

from grader.testing import expect_clean_call, expect_close

DTYPES = [torch.float32, torch.float64]


@pytest.mark.question("{example}")
def test_{example}_worked_example(student, reference):
    """{example} gives [2, 4] on [1, 2]"""
    x = torch.tensor([1.0, 2.0])
    reply = student.{example}(x)
    expect_close(reply.value, reference.{example}(x), what=reply.call)


@pytest.mark.question("{example}")
@pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
def test_{example}_random(student, reference, seed, dtype):
    """{example} matches the reference on random inputs in {{dtype}}"""
    x = torch.randn(5, generator=torch.Generator().manual_seed(seed), dtype=dtype)
    reply = student.{example}(x)
    expect_clean_call(reply)
    expect_close(reply.value, reference.{example}(x), what=reply.call,
                 variants=reference.mistakes([("backward_twice", "{example}_twice", (x,))]))
'''

REFERENCE = '''\
"""Reference solution of `{name}` (instructors only: never in a release)."""

from __future__ import annotations

import torch
from torch import Tensor


def {example}(x: Tensor) -> Tensor:
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad((x**2).sum(), x)
    return grad
'''

VARIANTS = '''\
"""Known-wrong variants of the `{name}` reference (instructors only).

Each is named after its question (`{example}_...`), takes the reference module first, then
the question's arguments, and starts its docstring with its misconception code.
"""

from __future__ import annotations

from types import ModuleType

from torch import Tensor


def {example}_twice(ref: ModuleType, x: Tensor) -> Tensor:
    """backward_twice: two backward passes into one .grad."""
    return 2 * ref.{example}(x)
'''

HIDDEN_TESTS = '''\
"""Hidden tests for `{name}`: fresh inputs per submission, expected values live from the
reference (instructors only)."""

import pytest
import torch

from grader.testing import expect_clean_call, expect_close


@pytest.mark.question("{example}")
@pytest.mark.parametrize("dtype,n", [(torch.float32, 1), (torch.float64, 50)],
                         ids=["float32-n1", "float64-n50"])
def test_{example}_hidden(student, reference, seed, dtype, n):
    """{example} matches the reference at n = {{n}} in {{dtype}}"""
    x = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=dtype)
    reply = student.{example}(x)
    expect_clean_call(reply)
    expect_close(reply.value, reference.{example}(x), what=reply.call,
                 variants=reference.mistakes([("backward_twice", "{example}_twice", (x,))]))
'''

FILES = {
    ("assignments", "assignment.toml"): ASSIGNMENT_TOML,
    ("assignments", "{module}.py"): STUB,
    ("assignments", "lessons.md"): LESSONS,
    ("assignments", "probes.py"): PROBES,
    ("assignments", "misconceptions.toml"): CATALOGUE,
    ("assignments", "tests/test_public.py"): PUBLIC_TESTS,
    ("reference", "{module}.py"): REFERENCE,
    ("reference", "variants.py"): VARIANTS,
    ("reference", "tests/test_hidden.py"): HIDDEN_TESTS,
}
"""What `grader new` writes, by half; expected.json and the notebook are generated after."""

CLASS_EXAMPLE = "LinearModel"
CLASS_QUESTION = f"{CLASS_EXAMPLE}.step"
CLASS_FILES = {
    **FILES,
    ("assignments", "{module}.py"): class_template.STUB,
    ("assignments", "lessons.md"): class_template.LESSONS,
    ("assignments", "misconceptions.toml"): class_template.CATALOGUE,
    ("assignments", "tests/test_public.py"): class_template.PUBLIC_TESTS,
    ("reference", "{module}.py"): class_template.REFERENCE,
    ("reference", "variants.py"): class_template.VARIANTS,
    ("reference", "tests/test_hidden.py"): class_template.HIDDEN_TESTS,
}
"""`--template class`: the question is a method of a class the tests make and drive."""

TEMPLATES = {
    "function": (FILES, EXAMPLE, EXAMPLE),
    "class": (CLASS_FILES, CLASS_EXAMPLE, f'"{CLASS_QUESTION}"'),
}
"""Each template's files, its example's name, and its question as assignment.toml keys it."""


def write_text(path: Path, text: str) -> None:
    """Write a course file readable by all: the sandboxed worker, another uid, reads it."""
    write_text_atomic(path, text, READABLE_BY_ALL)


def scaffold(name: str, course: Path, *, module: str | None = None, template: str = "function") -> list[Path]:
    """Write both halves of a new assignment `name` under `course`, the student's module
    named `module` (default: `name`), its example question of `template`'s shape; return
    the files."""
    module = module or name
    for what, value in (("assignment name", name), ("module name", module)):
        if not value.isidentifier() or value.startswith("_"):
            raise GraderError(f"invalid {what} {value!r}: use a Python identifier")
    if template not in TEMPLATES:
        raise GraderError(f"unknown template {template!r}: use one of {', '.join(TEMPLATES)}")
    files, example, question = TEMPLATES[template]
    folders = {half: course / half / name for half in ("assignments", "reference")}
    for folder in folders.values():
        if folder.exists():
            raise GraderError(f"{folder} already exists: choose another name")
    written = []
    for (half, relative), text in files.items():
        path = folders[half] / relative.format(module=module)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, text.format(name=name, module=module, example=example, question=question))
        written.append(path)
    return written
