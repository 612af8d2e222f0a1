"""pytest fixtures for the benchmark's baseline: the assignment's own public and hidden tests,
run in a fresh `python -m pytest` per submission with the student's module imported into the
test process and the reference beside it, as most course scripts grade.

    STUDENT=alice.py ASSIGNMENT=assignments/second_order REFERENCE=reference/second_order \\
        python -m pytest -p benchmarks.naive_fixtures assignments/second_order/tests ...
"""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

from benchmarks.direct import DirectPool
from grader.course.assignment import Assignment
from grader.planned_test import MARKERS
from grader.reference import LiveReference, import_private, load_live_reference
from grader.seeds import seed_for
from grader.student import StudentProxy

STUDENT = Path(os.environ.get("STUDENT", "."))
ASSIGNMENT = Path(os.environ.get("ASSIGNMENT", "."))
REFERENCE = Path(os.environ.get("REFERENCE", "."))


def pytest_configure(config: pytest.Config) -> None:
    for signature, help_text in MARKERS.items():
        config.addinivalue_line("markers", f"{signature}: {help_text}")


@pytest.fixture(scope="session")
def assignment() -> Assignment:
    return Assignment.load(ASSIGNMENT)


@pytest.fixture(scope="session")
def pool(assignment: Assignment) -> DirectPool:
    return DirectPool(STUDENT, assignment.module_name, assignment.probes_path)


@pytest.fixture(scope="session")
def live_reference(assignment: Assignment) -> LiveReference:
    return load_live_reference(assignment, REFERENCE)


@pytest.fixture
def student(request: pytest.FixtureRequest, pool: DirectPool, assignment: Assignment) -> StudentProxy:
    question = request.node.get_closest_marker("question").args[0]
    return StudentProxy(
        pool,
        question=question,
        call_seconds=assignment.limits.call_seconds,
        memory_mib=assignment.limits.memory_mib,
    )


@pytest.fixture
def reference(live_reference: LiveReference) -> LiveReference:
    return live_reference


@pytest.fixture
def given(assignment: Assignment) -> ModuleType:
    return import_private("given_helpers", assignment.stub_path)


@pytest.fixture
def checks(assignment: Assignment) -> ModuleType:
    return import_private("shared_checks", assignment.folder / "checks.py")


@pytest.fixture
def seed(request: pytest.FixtureRequest, assignment: Assignment) -> int:
    """The grader's seeds: the same for every submission in public tests, its own in hidden."""
    hidden = Path(str(request.node.path)).resolve().is_relative_to(REFERENCE.resolve())
    return seed_for(assignment.name, request.node.nodeid, STUDENT.stem if hidden else None)


@pytest.fixture
def private_seed(request: pytest.FixtureRequest, assignment: Assignment) -> int:
    """As the grader's, without its key: what student code is never handed."""
    hidden = Path(str(request.node.path)).resolve().is_relative_to(REFERENCE.resolve())
    return seed_for(assignment.name, request.node.nodeid, STUDENT.stem if hidden else None, purpose="private")


@pytest.fixture
def published_seed(request: pytest.FixtureRequest, assignment: Assignment) -> int:
    """The public tests' shared seed."""
    return seed_for(assignment.name, request.node.nodeid, None)


@pytest.fixture
def heldout_seed(request: pytest.FixtureRequest, assignment: Assignment) -> int:
    """Held-out evaluation data, the same for everyone."""
    return seed_for(assignment.name, request.node.nodeid, None, purpose="held-out")


@pytest.fixture
def heldout_start_seed(request: pytest.FixtureRequest, assignment: Assignment) -> int:
    """A starting point handed to student code, the same for everyone."""
    return seed_for(assignment.name, request.node.nodeid, None, purpose="held-out start")
