"""Shared fixtures: the project's folders, the reference modules, and fixed terminal settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.reference import import_private

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ROOT / "assignments"
REFERENCE = ROOT / "reference"
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"

os.environ["COLUMNS"] = "100"
os.environ["NO_COLOR"] = "1"
os.environ["GRADER_ASSIGNMENTS"] = str(ASSIGNMENTS)


@pytest.fixture(scope="session")
def second_order():
    """The reference solution of `second_order`, imported privately."""
    return import_private("tests_reference_second_order", REFERENCE / "second_order" / "second_order.py")


@pytest.fixture(scope="session")
def maml():
    """The reference solution of `maml`, imported privately."""
    return import_private("tests_reference_maml", REFERENCE / "maml" / "maml.py")
