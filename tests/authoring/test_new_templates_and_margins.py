"""`grader new --module` and `--template class` validate as generated; every file `new`,
`record` and `release` write is readable by all (0644); and `grader validate` reports how
close the reference comes to each bound a test sets with expect_at_most, over more draws."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from grader.authoring.margins import Margin, margins
from grader.cli import main
from grader.commands.release import build_release
from grader.course.assignment import Assignment
from grader.current_test import Bound
from tests.authoring.test_new_and_validate import append, forget_modules, sandbox_arguments
from tests.conftest import SANDBOX_GROUP

BOUNDED = '''

from grader.testing import expect_at_most


@pytest.mark.question("square_grad")
def test_square_grad_bounded(student, reference, seed):
    """square_grad's largest entry stays under its bounds"""
    x = torch.rand(4, generator=torch.Generator().manual_seed(seed))
    largest = float(student.square_grad(x).value.max()) / 2
    expect_at_most(largest, 2.0, what="the largest entry, halved")
    expect_at_most(largest, largest / 0.95, what="a bound calibrated too close")
'''


def modes(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode) for p in folder.rglob("*") if p.is_file()
    }


@pytest.mark.slow
@SANDBOX_GROUP
@pytest.mark.parametrize(
    "arguments", [["--module", "my_hw"], ["--module", "my_hw.py", "--template", "class"]]
)
def test_new_with_a_module_name_or_a_class_validates_as_generated(tmp_path, capsys, monkeypatch, arguments):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "hw", "--course", "course", *arguments]) == 0
    folder = tmp_path / "course" / "assignments" / "hw"
    assignment = Assignment.load(folder)
    assert (
        assignment.file_name == "my_hw.py"
        and (tmp_path / "course" / "reference" / "hw" / "my_hw.py").is_file()
    )
    assert set(modes(tmp_path / "course").values()) == {0o644}
    assert main(["validate", "hw", "--course", "course", *sandbox_arguments(folder)]) == 0
    out = capsys.readouterr().out
    assert out.strip().endswith("is ready to hand out")
    if "class" in arguments:
        assert "variant LinearModelAscends (wrong_sign): caught by" in out
        assert '"LinearModel.step"' in (folder / "assignment.toml").read_text()


@pytest.mark.slow
def test_record_and_release_write_files_readable_by_all(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GRADER_ASSIGNMENTS")
    monkeypatch.chdir(tmp_path)
    assert main(["new", "hw"]) == 0
    folder = tmp_path / "assignments" / "hw"
    for path in (folder / "expected.json", folder / "hw.ipynb", folder / "hw.py"):
        path.chmod(0o600)  # as an older grader left them
    assert main(["record", "hw"]) == 0
    assert modes(folder)["expected.json"] == 0o644
    files = build_release(Assignment.load(folder), tmp_path / "release")
    assert files and set(modes(tmp_path / "release").values()) == {0o644}


@pytest.mark.slow
@SANDBOX_GROUP
def test_validate_reports_each_bounds_margin_over_more_draws(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GRADER_ASSIGNMENTS")
    monkeypatch.chdir(tmp_path)
    assert main(["new", "hw"]) == 0
    forget_modules("hw")
    append(tmp_path / "reference" / "hw" / "tests" / "test_hidden.py", BOUNDED)
    capsys.readouterr()
    assert main(["validate", "hw", "--no-sandbox", "--draws", "2"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "at worst over" in line]
    assert len(lines) == 2, lines
    close, halved = sorted(lines)
    assert halved.startswith(
        "square_grad [test_square_grad_bounded]: the largest entry, halved: the reference reaches "
    )
    assert "at worst over 3 draws, bound 2, margin " in halved and "warning" not in halved
    assert close.endswith("margin 5%; warning: under 10%, a correct submission may fail on some inputs")
    assert main(["validate", "hw", "--no-sandbox", "--draws", "0"]) == 0
    assert "at worst over 1 draws" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main(["validate", "hw", "--draws", "-1"])
    assert usage.value.code == 2
    assert "invalid draws '-1'" in capsys.readouterr().err


def test_a_margin_is_the_draw_closest_to_its_bound() -> None:
    bounds = [Bound("t.py::test_a", "q", "loss", value, 0.5) for value in (0.2, 0.41, 0.3)]
    bounds.append(Bound("t.py::test_a", "q", "overshoot", 0.6, 0.5))
    found = {margin.what: margin for margin in margins(bounds)}
    assert str(found["loss"]) == (
        "q [test_a]: loss: the reference reaches 0.41 at worst over 3 draws, bound 0.5, margin 18%"
    )
    assert found["overshoot"].share == pytest.approx(-0.2) and "warning" in str(found["overshoot"])
    assert Margin("q", "t", "w", 0.0, 0.0, 1).share == float("inf")
