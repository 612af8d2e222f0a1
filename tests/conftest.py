"""Shared fixtures: the project's folders, the reference modules, fixed terminal settings, and
the groups that keep tests sharing a resource on one xdist worker."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.course.assignment import Assignment
from grader.reference import import_private

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
REFERENCE = ROOT / "reference"
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"

os.environ["COLUMNS"] = "100"
os.environ["NO_COLOR"] = "1"
os.environ["GRADER_ASSIGNMENTS"] = str(ASSIGNMENTS)

# pytester: tests/test_plugin.py runs the grading plugin on small test files. xdist_groups:
# `make test` runs the suite in parallel (pytest-xdist, --dist loadgroup), and tests marked
# with one xdist group run on one worker, one after another; every other test goes where there
# is room. Without xdist the marks do nothing.
pytest_plugins = ["pytester", "tests.xdist_groups"]

SANDBOX_GROUP = pytest.mark.xdist_group("sandbox")
"""Tests that grade in the sandbox. Batches lease sandbox uids, some from lock folders of their
own (to tell their uids from others'), and make control groups in this process's memory
group, whose grading folders some tests count: two such tests at once would see each other's."""


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        # Parallel workers share the cores: each runs torch on one thread, as grading processes
        # do, and so do the processes tests start. With a thread per core in every worker,
        # idle OpenMP threads spin on the cores the other workers need.
        os.environ["OMP_NUM_THREADS"] = "1"
        import torch

        torch.set_num_threads(1)


def module_group(name: str) -> pytest.MarkDecorator:
    """Keep a module's tests on one worker: its expensive module-scoped fixture (a batch graded
    for real, a notebook run in a kernel) is then computed once, not once per worker."""
    return pytest.mark.xdist_group(name)


def full_marks(name: str) -> dict[str, float]:
    """Each question's full marks, public and hidden points together, as assignments/<name>/
    assignment.toml gives them: tests derive a full score from it instead of repeating it."""
    questions = Assignment.load(ASSIGNMENTS / name).questions
    return {question: points.total for question, points in questions.items()}


def public_marks(name: str) -> dict[str, float]:
    """Each question's public points (all that `grader check` can show), from assignment.toml."""
    questions = Assignment.load(ASSIGNMENTS / name).questions
    return {question: points.public for question, points in questions.items()}


@pytest.fixture(scope="session")
def second_order():
    """The reference solution of `second_order`, imported privately."""
    return import_private("tests_reference_second_order", REFERENCE / "second_order" / "second_order.py")


@pytest.fixture(scope="session")
def maml():
    """The reference solution of `maml`, imported privately."""
    return import_private("tests_reference_maml", REFERENCE / "maml" / "maml.py")
