"""`grader new` and `grader validate`: an instructor's whole path, with no line of grader/ changed.

A new assignment is scaffolded in a temporary course folder, one small question is added to
it (a Jacobian-vector product by double backward), recorded and validated; then a correct, a
wrong and a hostile submission are graded, with exact scores. Then `grader validate` fails,
naming file and line, on each thing that makes an assignment not ready.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from grader.cli import main
from grader.course.assignment import Assignment
from grader.errors import GraderError
from grader.sandbox.bubblewrap import Sandbox
from tests.conftest import SANDBOX_GROUP

pytestmark = [pytest.mark.slow, SANDBOX_GROUP]  # validates and grades in the sandbox where it runs

QUESTION = '''

def jvp(x: Tensor, v: Tensor) -> Tensor:
    """Return J v, where J is the Jacobian of g(x) = x * x.sum(), by double backward."""
    raise NotImplementedError("jvp")
'''

SOLUTION = """

def jvp(x: Tensor, v: Tensor) -> Tensor:
    x = x.detach().clone().requires_grad_(True)
    y = x * x.sum()
    u = torch.zeros_like(y, requires_grad=True)
    (g,) = torch.autograd.grad(y, x, u, create_graph=True)
    (jv,) = torch.autograd.grad(g, u, v)
    return jv
"""

VARIANT = '''

def jvp_transposed(ref: ModuleType, x: Tensor, v: Tensor) -> Tensor:
    """vjp_instead_of_jvp: v^T J, one backward pass, instead of J v."""
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(x * x.sum(), x, v)
    return g
'''

TESTS = '''

@pytest.mark.question("jvp")
@pytest.mark.parametrize("n", [3, 8])
def test_jvp_{half}(student, reference, seed, n):
    """jvp matches the reference at n = {{n}}"""
    generator = torch.Generator().manual_seed(seed)
    x, v = torch.randn(n, generator=generator), torch.randn(n, generator=generator)
    reply = student.jvp(x, v)
    expect_clean_call(reply)
    expect_close(reply.value, reference.jvp(x, v), what=reply.call,
                 variants=reference.mistakes([("vjp_instead_of_jvp", "jvp_transposed", (x, v))]))
'''

CODE = """
[vjp_instead_of_jvp]
title = "a vector-Jacobian product where a Jacobian-vector product was asked"
explanation = "One backward pass gives v^T J. J v needs a second one, through a dummy u."
"""

WRONG = SOLUTION.replace(
    "(jv,) = torch.autograd.grad(g, u, v)\n    return jv", "return torch.autograd.grad(x * x.sum(), x, v)[0]"
)
HOSTILE = SOLUTION.replace("    return jv", "    import ctypes\n    return jv")


def sandbox_arguments(folder: Path) -> list[str]:
    try:
        Sandbox.require(Assignment.load(folder))
    except GraderError:
        return ["--no-sandbox"]
    return []


def forget_modules(name: str) -> None:
    """Each `grader` command runs in a fresh process; here they share one, which reuses a
    module already imported from the same file: forget what `new` imported before editing."""
    for module in [m for m in sys.modules if m.startswith("grader_") and m.endswith(f"_{name}")]:
        del sys.modules[module]


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


@pytest.fixture
def course(tmp_path, capsys, monkeypatch):
    """A new assignment `hw` with the question `jvp` added, recorded, its notebook built."""
    monkeypatch.delenv("GRADER_ASSIGNMENTS")
    monkeypatch.chdir(tmp_path)
    assert main(["new", "hw"]) == 0
    forget_modules("hw")
    public, hidden = tmp_path / "assignments" / "hw", tmp_path / "reference" / "hw"
    append(public / "hw.py", QUESTION)
    append(public / "assignment.toml", "jvp = { public = 10, hidden = 10 }\n")
    append(public / "misconceptions.toml", CODE)
    append(public / "lessons.md", "\n<!-- before jvp -->\n## 2. J v by double backward\n")
    append(public / "tests" / "test_public.py", TESTS.format(half="public"))
    append(hidden / "hw.py", SOLUTION)
    append(hidden / "variants.py", "\nimport torch\n" + VARIANT)
    append(hidden / "tests" / "test_hidden.py", TESTS.format(half="hidden"))
    assert main(["record", "hw"]) == 0
    from grader.authoring.notebook import main as build_notebooks

    assert build_notebooks(["hw"]) == 0
    capsys.readouterr()
    return tmp_path


def test_new_scaffolds_an_assignment_that_validates_as_generated(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "hw", "--course", "course"]) == 0
    folder = tmp_path / "course" / "assignments" / "hw"
    assert main(["validate", str(folder), *sandbox_arguments(folder)]) == 0
    assert capsys.readouterr().out.strip().endswith("is ready to hand out")
    assert main(["new", "hw", "--course", "course"]) == 2  # never overwrites
    assert main(["new", "not-a-name"]) == 2


def test_an_added_question_validates_and_grades_exactly(course, capsys):
    folder = course / "assignments" / "hw"
    assert main(["validate", "hw", *sandbox_arguments(folder)]) == 0, capsys.readouterr().out
    subs = course / "subs"
    subs.mkdir()
    solution = (course / "reference" / "hw" / "hw.py").read_text()
    (subs / "alice.py").write_text(solution)
    (subs / "bob.py").write_text(solution.replace(SOLUTION, WRONG))
    (subs / "mallory.py").write_text(solution.replace(SOLUTION, HOSTILE))
    assert main(["grade", "hw", str(subs), "--out", "out", *sandbox_arguments(folder)]) == 0
    scores = {
        name: json.loads((course / "out" / name / "results.json").read_text())
        for name in ("alice", "bob", "mallory")
    }
    questions = Assignment.load(folder).questions
    full = sum(points.total for points in questions.values())
    wrong = full - questions["jvp"].total  # bob's and mallory's jvp earn nothing
    assert {name: result["score"] for name, result in scores.items()} == pytest.approx(
        {"alice": full, "bob": wrong, "mallory": wrong}
    )
    codes = {t["misconception"] for t in scores["bob"]["tests"] if t["question"] == "jvp"}
    assert codes == {"vjp_instead_of_jvp"}
    codes = {t["misconception"] for t in scores["mallory"]["tests"] if t["question"] == "jvp"}
    assert codes == {"tampering"}


def test_validate_names_file_and_line_of_each_problem(course, capsys):
    public, hidden = course / "assignments" / "hw", course / "reference" / "hw"
    tests = public / "tests" / "test_public.py"
    tests.write_text(tests.read_text().replace('[("backward_twice"', '[("backward_twise"'))
    stub = public / "hw.py"
    stub.write_text(stub.read_text().replace('raise NotImplementedError("square_grad")', "return 2 * x"))
    append(
        hidden / "tests" / "test_hidden.py",
        '''

@pytest.mark.question("jvp")
def test_jvp_fails_for_everyone(student, reference, seed):
    """a test the reference fails"""
    expect_close(student.jvp(torch.ones(2), torch.ones(2)).value, torch.zeros(2), what="jvp")
''',
    )
    solution = hidden / "hw.py"
    solution.write_text(solution.read_text().replace("return grad", "return grad * 1.5"))
    forget_modules("hw")
    assert main(["validate", "hw", *sandbox_arguments(public)]) == 1
    out = capsys.readouterr().out
    expected = [
        f"{tests}:28: unknown misconception code 'backward_twise' (did you mean 'backward_twice'?)",
        f"{public / 'expected.json'}:1: stale (",
        f"{hidden / 'tests' / 'test_hidden.py'}:35: the reference fails a test the reference fails",
        f"{stub}:15: the stub's square_grad is failed with 0 points, expected 0 and 'not attempted'",
        f"{public / 'hw.ipynb'}:1: does not match the stub",
    ]
    for line in expected:
        assert any(printed.startswith(line) for printed in out.splitlines()), (line, out.splitlines())
    assert out.strip().endswith("not ready to hand out")


def test_validate_names_a_missing_probe_file(course, capsys):
    probes = course / "assignments" / "hw" / "probes.py"
    probes.unlink()
    assert main(["validate", "hw", "--no-sandbox"]) == 1
    assert f"{probes}:1: missing: probes.py" in capsys.readouterr().out


def test_validate_refuses_a_misspelt_catalogue_entry(course, capsys):
    catalogue = course / "assignments" / "hw" / "misconceptions.toml"
    catalogue.write_text(catalogue.read_text().replace('explanation = "One', 'explantion = "One'))
    assert main(["validate", "hw", "--no-sandbox"]) == 1
    assert f"{catalogue}: [vjp_instead_of_jvp] has unknown keys" in capsys.readouterr().out
