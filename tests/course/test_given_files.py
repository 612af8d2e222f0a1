"""Given files: listed in assignment.toml, shipped in the release, and the course's own copy
beside every submission in grading, flat folder or nested, whatever the student uploaded."""

from __future__ import annotations

import pytest

from grader.commands.release import build_release
from grader.course.assignment import Assignment
from grader.errors import ConfigError
from grader.intake.submission import Submission
from tests.small_course import grade, write_course

HELPERS = "SCALE = 3\n"
STUB = """\
from helpers import SCALE


def scaled(x):
    raise NotImplementedError("scaled")
"""
SOLUTION = STUB.replace('raise NotImplementedError("scaled")', "return x * SCALE")
TESTS = """\
import pytest
import torch

from grader.testing import expect_close


@pytest.mark.question("scaled")
def test_scaled(student, reference, seed):
    \"\"\"scaled matches the reference\"\"\"
    x = torch.randn(3, generator=torch.Generator().manual_seed(seed))
    expect_close(student.scaled(x).value, reference.scaled(x), what="scaled(x)")
"""


@pytest.fixture
def course(tmp_path):
    return write_course(
        tmp_path,
        "scaling",
        questions={"scaled": (50, 50)},
        stub=STUB,
        solution=SOLUTION,
        public_tests=TESTS,
        hidden_tests=TESTS.replace("test_scaled", "test_scaled_hidden"),
        config='given = ["helpers.py", "data/table.csv"]\n',
        files={"assignments/scaling/helpers.py": HELPERS, "assignments/scaling/data/table.csv": "a,b\n"},
    )


def test_the_config_lists_given_files_and_refuses_one_outside_the_folder(course):
    assert Assignment.load(course).given == ("helpers.py", "data/table.csv")
    config = course / "assignment.toml"
    config.write_text(config.read_text().replace('"helpers.py"', '"../helpers.py"'))
    with pytest.raises(ConfigError, match="must lie inside"):
        Assignment.load(course)
    config.write_text(config.read_text().replace('"../helpers.py"', '"missing.py"'))
    with pytest.raises(ConfigError, match="is not a file"):
        Assignment.load(course)


def test_the_release_ships_given_files_beside_the_stub(course, tmp_path):
    out = tmp_path / "release"
    (course / "expected.json").write_text('{"version": 1, "tests": {}}\n')
    build_release(Assignment.load(course), out)
    assert (out / "helpers.py").read_text() == HELPERS
    assert (out / "data" / "table.csv").is_file()
    assert (out / ".grader" / "assignments" / "scaling" / "helpers.py").read_text() == HELPERS


def test_install_puts_the_course_copy_in_place_of_the_students(course, tmp_path):
    folder = tmp_path / "sub" / "hw"  # one level down: the files beside it are copied too
    folder.mkdir(parents=True)
    (folder / "scaling.py").write_text(SOLUTION)
    (folder / "helpers.py").write_text("SCALE = 100\n")
    work = tmp_path / "work"
    work.mkdir()
    _, notes = Submission("s", folder.parent).install(Assignment.load(course), work)
    assert (work / "helpers.py").read_text() == HELPERS
    assert (work / "data" / "table.csv").is_file()
    assert notes == ["helpers.py is given by the course: its copy was used, not yours"]


@pytest.mark.slow
def test_a_given_module_runs_beside_flat_and_nested_folders_the_students_copy_ignored(course, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "scaling.py").write_text(SOLUTION)
    (flat / "helpers.py").write_text("SCALE = 100\n")  # the student's own copy: never runs
    nested = tmp_path / "nested" / "hw"
    nested.mkdir(parents=True)
    (nested / "scaling.py").write_text(SOLUTION)
    (nested / "helpers.py").write_text("SCALE = 100\n")
    alone = tmp_path / "alone.py"
    alone.write_text(SOLUTION)
    results = grade(course, {"flat": flat, "nested": nested.parent, "alone": alone})
    for name, result in results.items():
        assert not result.problem, (name, result.problem)
        assert result.score == result.max_score == 100, (name, [t.message for t in result.tests])
