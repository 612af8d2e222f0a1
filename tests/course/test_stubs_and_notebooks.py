"""The student stubs import cleanly and raise NotImplementedError everywhere; each notebook
is valid, up to date, and carries exactly the stub's functions."""

from __future__ import annotations

import ast

import nbformat
import pytest
import torch

from grader.authoring.notebook import notebook_text
from grader.course.assignment import find_assignment
from grader.reference import import_private

QUESTION_CALLS = {
    "second_order": lambda stub: {
        "first_order_grads": lambda: stub.first_order_grads(torch.ones(2), torch.ones(2)),
        "second_partials": lambda: stub.second_partials(torch.ones(2), torch.ones(2), 0),
        "grads_without_zeroing": lambda: stub.grads_without_zeroing(torch.ones(2), torch.ones(2), 0),
        "hessian": lambda: stub.hessian(lambda x: (x**4).sum(), torch.ones(2)),
        "hvp": lambda: stub.hvp(lambda x: (x**4).sum(), torch.ones(2), torch.ones(2)),
        "gradient_penalty": lambda: stub.gradient_penalty(lambda x: x.sum(1), torch.ones(2, 2)),
    },
    "maml": lambda stub: {
        "inner_update": lambda: stub.inner_update(stub.init_params(4), torch.tensor(0.0), 0.1),
        "adapt": lambda: stub.adapt(stub.init_params(4), torch.ones(3, 1), torch.ones(3, 1), 0.1, 1),
        "meta_loss": lambda: stub.meta_loss(stub.init_params(4), stub.sample_tasks(1, 2, 2), 0.1, 1),
        "meta_train": lambda: stub.meta_train(stub.init_params(4), 1),
    },
}


@pytest.mark.parametrize("name", QUESTION_CALLS)
def test_stub_imports_and_every_question_raises_not_implemented(name):
    assignment = find_assignment(name)
    stub = import_private(f"tests_stub_{name}", assignment.stub_path)
    calls = QUESTION_CALLS[name](stub)
    assert set(calls) == set(assignment.questions)
    for call in calls.values():
        with pytest.raises(NotImplementedError):
            call()


def signatures(source: str) -> dict[str, tuple[str, str | None]]:
    """Each top-level function: its signature as code, and its docstring."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = (ast.unparse(node.args), ast.get_docstring(node))
    return found


@pytest.mark.parametrize("name", QUESTION_CALLS)
def test_notebook_matches_its_stub(name):
    assignment = find_assignment(name)
    notebook = nbformat.read(assignment.notebook_path, as_version=4)
    nbformat.validate(notebook)
    code = "\n\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    stub = assignment.stub_path.read_text()
    assert signatures(code) == signatures(stub)
    assert set(assignment.questions) <= set(signatures(code))


@pytest.mark.parametrize("name", QUESTION_CALLS)
def test_notebook_is_rebuilt_from_the_current_stub(name):
    assignment = find_assignment(name)
    assert assignment.notebook_path.read_text() == notebook_text(assignment), (
        f"run `python -m grader.authoring.notebook {name}`"
    )


@pytest.mark.parametrize("name", QUESTION_CALLS)
def test_notebook_teaches_the_lessons(name):
    notebook = nbformat.read(find_assignment(name).notebook_path, as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    for phrase in {
        "second_order": ["create_graph=True", "[12, 24]", "[46, 12]", "accumulate"],
        "maml": ["create_graph=True", "first-order MAML", "inner step"],
    }[name]:
        assert phrase in text
