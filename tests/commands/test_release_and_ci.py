"""What students get (`grader release`), and autograding on every push (`grader ci`)."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from junitparser import JUnitXml

from grader.cli import main
from grader.errors import GraderError
from grader.grading import Grader
from grader.sandbox.bubblewrap import Sandbox
from tests.conftest import ASSIGNMENTS, REFERENCE, SUBMISSIONS, full_marks, public_marks

FULL, PUBLIC = full_marks("second_order"), public_marks("second_order")
FULL_SCORE, PUBLIC_SCORE = sum(FULL.values()), sum(PUBLIC.values())
ZEROED = "grads_without_zeroing"  # the question zeroed_gradients.py loses

ROOT = ASSIGNMENTS.parent


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def reference_bodies(name: str) -> list[str]:
    """The body of every function the reference defines beyond the stub's given helpers."""
    source = (REFERENCE / name / f"{name}.py").read_text()
    stub = (ASSIGNMENTS / name / f"{name}.py").read_text()
    bodies = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if ast.get_docstring(node) else node.body
            text = squash("\n".join(ast.get_source_segment(source, s) for s in body))
            if text and text not in squash(stub):
                bodies.append(text)
    return bodies


def hidden_names(name: str) -> list[str]:
    tree = ast.parse((REFERENCE / name / "tests" / "test_hidden.py").read_text())
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test")]


@pytest.fixture(scope="module", params=["second_order", "maml"])
def release(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / request.param
    assert main(["release", request.param, "--out", str(out)]) == 0
    return request.param, out


def test_the_release_holds_what_students_need(release):
    name, out = release
    for path in (
        f"{name}.py",
        f"{name}.ipynb",
        "README.md",
        ".github/workflows/autograde.yml",
        f".grader/assignments/{name}/tests/test_public.py",
        f".grader/assignments/{name}/expected.json",
        f".grader/assignments/{name}/assignment.toml",
    ):
        assert (out / path).is_file(), path


def test_the_release_leaks_nothing_of_the_reference(release):
    name, out = release
    text = squash("\n".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()))
    bodies = reference_bodies(name)
    assert len(bodies) >= 4
    for body in bodies:
        assert body not in text, body[:80]
    for test_name in hidden_names(name):
        assert not re.search(rf"\b{test_name}\b", text), test_name
    assert not list(out.rglob("variants.py")) and not list(out.rglob("test_hidden.py"))


def test_the_release_workflow_is_valid_for_github(release):
    _, out = release
    checker = Path(sys.executable).parent / "check-jsonschema"
    run = subprocess.run(
        [
            str(checker),
            "--builtin-schema",
            "vendor.github-workflows",
            str(out / ".github" / "workflows" / "autograde.yml"),
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.fixture
def repository(tmp_path, monkeypatch):
    """A student's repository made from the release, with GitHub's variables set."""
    out = tmp_path / "repo"
    assert main(["release", "second_order", "--out", str(out)]) == 0
    monkeypatch.delenv("GRADER_ASSIGNMENTS")
    monkeypatch.chdir(out)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.delenv("GRADER_REFERENCE", raising=False)
    return out, summary


@pytest.mark.slow
def test_grader_check_works_inside_the_release(repository, capsys):
    assert main(["check"]) == 1
    assert f"Public tests: 0/{PUBLIC_SCORE:g} points" in capsys.readouterr().out


@pytest.mark.slow
def test_ci_on_a_correct_push(repository, capsys):
    out, summary = repository
    shutil.copy(SUBMISSIONS / "second_order" / "correct_compact.py", out / "second_order.py")
    code = main(["ci", "--junit", "junit.xml"])
    stdout = capsys.readouterr().out
    assert code == 0
    assert stdout.rstrip().splitlines()[-1] == f"Points: {PUBLIC_SCORE:g}/{PUBLIC_SCORE:g}"
    assert "::error" not in stdout and "\x1b[" not in stdout
    assert f"second_order · repo: {PUBLIC_SCORE:g}/{PUBLIC_SCORE:g} points" in summary.read_text()
    suite = next(iter(JUnitXml.fromfile(str(out / "junit.xml"))))
    assert suite.tests == 15 and suite.failures == 0 and suite.errors == 0


@pytest.mark.slow
def test_ci_on_a_failing_push_annotates_the_students_function(repository, capsys):
    out, summary = repository
    shutil.copy(SUBMISSIONS / "second_order" / "zeroed_gradients.py", out / "second_order.py")
    line = next(
        i
        for i, text in enumerate((out / "second_order.py").read_text().splitlines(), 1)
        if text.startswith("def grads_without_zeroing")
    )
    assert main(["ci", "--junit", "junit.xml"]) == 1
    stdout = capsys.readouterr().out
    assert f"::error file=second_order.py,line={line},title=grads_without_zeroing%3A 0/6 points::" in stdout
    assert stdout.rstrip().splitlines()[-1] == f"Points: {PUBLIC_SCORE - PUBLIC[ZEROED]:g}/{PUBLIC_SCORE:g}"
    assert "| `grads_without_zeroing` | 0/6 | ❌ failed |" in summary.read_text()
    suite = next(iter(JUnitXml.fromfile(str(out / "junit.xml"))))
    assert suite.failures == 2
    assert main(["ci", "--fail-on", "never"]) == 0


@pytest.mark.slow
def test_ci_with_the_reference_never_shows_hidden_inputs(repository, capsys, monkeypatch):
    out, summary = repository
    printing = (SUBMISSIONS / "second_order" / "zeroed_gradients.py").read_text() + (
        "\n\nprint('student-output-marker at import')\n"
    )
    (out / "second_order.py").write_text(printing)
    monkeypatch.setenv("GRADER_REFERENCE", str(REFERENCE))
    monkeypatch.setattr(Sandbox, "require", no_sandbox)  # told so, it grades without one
    assert main(["ci", "--junit", "junit.xml", "--unsafe-no-sandbox"]) == 1
    stdout = capsys.readouterr().out
    written = stdout + summary.read_text() + (out / "junit.xml").read_text()
    assert stdout.rstrip().splitlines()[-1] == f"Points: {FULL_SCORE - FULL[ZEROED]:g}/{FULL_SCORE:g}"
    assert "hidden test" in written
    assert "student-output-marker" not in written, "student output could repeat hidden inputs"
    for leak in (
        "inputs of length",
        "float64 tensor",
        "differs from the expected value: largest difference 10.9",
    ):
        hidden_lines = [l for l in written.splitlines() if "hidden" in l and leak in l]
        assert not hidden_lines, hidden_lines
    assert "of length 7" not in written


def no_sandbox(*_args, **_kwargs):
    """Sandbox.require where bubblewrap cannot run."""
    raise GraderError("bubblewrap cannot run here (no user namespaces)")


def never_grade(*_args, **_kwargs):
    raise AssertionError("graded although the sandbox was refused")


def test_ci_refuses_hidden_tests_without_a_sandbox(repository, capsys, monkeypatch):
    out, _ = repository
    shutil.copy(SUBMISSIONS / "second_order" / "correct_compact.py", out / "second_order.py")
    monkeypatch.setenv("GRADER_REFERENCE", str(REFERENCE))
    monkeypatch.setattr(Sandbox, "require", no_sandbox)
    monkeypatch.setattr(Grader, "grade", never_grade)
    assert main(["ci"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Points" not in captured.err
    error = captured.err.strip()
    assert len(error.splitlines()) == 1 and error.startswith("grader: error: ")
    assert "--unsafe-no-sandbox" in error and "read the hidden tests" in error


def test_the_flag_that_skips_the_sandbox_says_it_is_unsafe(capsys):
    with pytest.raises(SystemExit):
        main(["ci", "--help"])
    help_text = squash(capsys.readouterr().out)
    assert "--unsafe-no-sandbox UNSAFE" in help_text
    assert "student code can read the hidden tests and the reference solution" in help_text


@pytest.mark.slow
def test_ci_can_show_the_total_only(repository, capsys):
    out, summary = repository
    shutil.copy(SUBMISSIONS / "second_order" / "zeroed_gradients.py", out / "second_order.py")
    assert main(["ci", "--detail", "total"]) == 1
    points = f"{PUBLIC_SCORE - PUBLIC[ZEROED]:g}/{PUBLIC_SCORE:g}"
    assert capsys.readouterr().out.strip() == f"Points: {points}"
    assert summary.read_text().strip() == f"## second_order · repo: {points} points"
