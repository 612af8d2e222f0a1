"""Submissions as students hand them in: notebooks, zips (made on a Mac, or hostile),
folders, and batch folders named the way learning-management systems export them."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import nbformat
import pytest

from grader.course.assignment import find_assignment
from grader.errors import SubmissionError
from grader.grading import CHECK, Grader, GradingOptions
from grader.intake.collect import expand_submissions
from grader.intake.notebook_module import module_from_cells, neutralise_magics
from grader.intake.submission import Submission
from grader.intake.zip_archive import extract_zip
from tests.conftest import SUBMISSIONS, public_marks

CORRECT = (SUBMISSIONS / "second_order" / "correct_compact.py").read_text()
PUBLIC_SCORE = sum(public_marks("second_order").values())  # all `grader check` grades


@pytest.fixture(scope="module")
def checker():
    with Grader(find_assignment("second_order"), GradingOptions(mode=CHECK)) as grader:
        yield grader


def jupyter_notebook(path: Path, cells: list[nbformat.NotebookNode]) -> Path:
    """A notebook as Jupyter saves it: kernelspec, execution counts, outputs."""
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.7"},
        },
    )
    for count, cell in enumerate(c for c in cells if c.cell_type == "code"):
        cell.execution_count = count + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ok\n")]
    nbformat.write(notebook, path)
    return path


@pytest.mark.slow
def test_a_notebook_with_magics_shell_escapes_and_a_broken_cell(tmp_path, checker):
    imports, rest = CORRECT.split("\n\n\n", 1)
    cells = [
        nbformat.v4.new_markdown_cell("# My homework\nSome *notes*."),
        nbformat.v4.new_code_cell("%matplotlib inline\n!pip install torch\n" + imports),
        nbformat.v4.new_code_cell("%%capture\nthis is not python at all"),
        nbformat.v4.new_code_cell("files = !ls\nprint('demo at import time')"),
        nbformat.v4.new_code_cell("print('unfinished'"),
        nbformat.v4.new_raw_cell("raw text"),
        nbformat.v4.new_code_cell(rest),
        nbformat.v4.new_code_cell("import torch\nx = torch.tensor([3., 1.])\n%time first_order_grads(x, x)"),
    ]
    path = jupyter_notebook(tmp_path / "second_order.ipynb", cells)
    result, _ = checker.grade(Submission.at(path))
    assert result.score == pytest.approx(PUBLIC_SCORE), [
        (t.name, t.message) for t in result.tests if not t.passed
    ]
    assert result.notes == ["cell 5 has a syntax error (line 1: '(' was never closed) and was left out"]
    assert "demo at import time" in result.output


def test_magics_are_neutralised_never_run():
    code = neutralise_magics("if True:\n    !rm -rf /\n    %time f()\nx = %pwd\ny = a != b")
    assert "rm -rf" in code and "pass  # (magic left out) !rm -rf /" in code
    compile(code, "cell", "exec")
    assert module_from_cells([(1, "%%bash\nrm -rf /")]).text.count("# (cell magic left out)") == 2


def mac_zip(path: Path, files: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


@pytest.mark.slow
def test_a_zip_made_by_a_mac_with_a_nested_folder(tmp_path, checker):
    path = mac_zip(
        tmp_path / "alice.zip",
        {
            "alice/second_order.py": CORRECT.encode(),
            "alice/.DS_Store": b"\0\0\0\1Bud1",
            "__MACOSX/alice/._second_order.py": b"\0\5\26\7 binary resource fork",
        },
    )
    result, _ = checker.grade(Submission.at(path))
    assert result.submission_id == "alice" and result.score == pytest.approx(PUBLIC_SCORE)


@pytest.mark.parametrize(
    "files, links, message",
    [
        ({"../escape.py": b"x = 1"}, {}, "outside its folder"),
        ({"/etc/cron.d/evil": b"x"}, {}, "outside its folder"),
        ({"second_order.py": b"\0" * (60 * 2**20)}, {}, "unpacks to more than 50 MiB"),
        ({}, {"second_order.py": "/work/main/reference/second_order/second_order.py"}, "no second_order.py"),
    ],
)
def test_hostile_zips_are_refused_with_one_line(tmp_path, checker, files, links, message):
    path = mac_zip(tmp_path / "mallory.zip", files, links)
    result, _ = checker.grade(Submission.at(path))
    assert message in result.problem and result.tests == []


def test_a_member_outside_its_folder_is_never_written(tmp_path):
    """Extracted into tmp_path/unpacked, `../escape.py` would land in tmp_path itself."""
    path = mac_zip(tmp_path / "mallory.zip", {"ok.py": b"x = 1", "../escape.py": b"x = 1"})
    (tmp_path / "unpacked").mkdir()
    with pytest.raises(SubmissionError, match="outside its folder"):
        extract_zip(path, tmp_path / "unpacked")
    assert not (tmp_path / "escape.py").exists()
    assert list((tmp_path / "unpacked").iterdir()) == []


def test_a_symlinked_file_in_a_folder_is_refused(tmp_path, checker):
    folder = tmp_path / "eve"
    folder.mkdir()
    os.symlink(SUBMISSIONS / "second_order" / "correct_compact.py", folder / "second_order.py")
    result, _ = checker.grade(Submission.at(folder))
    assert "symbolic link: refused" in result.problem


def test_batch_folders_named_by_learning_management_systems(tmp_path):
    batch = tmp_path / "export"
    batch.mkdir()
    (batch / "smithjane_12345_67890_second_order.py").write_text(CORRECT)
    (batch / "doejohn_LATE_222_333_second_order-1.ipynb").write_text("{}")
    (batch / "second-order-octocat").mkdir()
    (batch / "second-order-octocat" / "second_order.py").write_text(CORRECT)
    (batch / "submission_4242").mkdir()
    (batch / "submission_4242" / "second_order.py").write_text(CORRECT)
    (batch / "bob.rar").write_bytes(b"Rar!")
    ids = [s.id for s in expand_submissions([batch], find_assignment("second_order"))]
    # Canvas names keep the student's numeric user id: two logins alike are two students
    assert ids == [
        "bob",
        "doejohn_222",
        "second-order-octocat".removeprefix("second-order-"),
        "smithjane_12345",
        "submission_4242",
    ]


def test_an_unsupported_file_says_so(tmp_path, checker):
    path = tmp_path / "bob.rar"
    path.write_bytes(b"Rar!")
    result, _ = checker.grade(Submission.at(path))
    assert result.problem.startswith("bob.rar: not a supported submission format")


def test_a_missing_path_is_a_submission_error(tmp_path):
    with pytest.raises(SubmissionError, match="no such file or folder"):
        Submission.at(tmp_path / "ghost.py")
