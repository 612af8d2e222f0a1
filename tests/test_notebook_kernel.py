"""`check()` in a real IPython kernel, as students run it (Jupyter, Colab, VS Code).

A released notebook is filled in the way a student would (answers in the question cells,
`check("question")` cells after them) and executed cell by cell in a real ipykernel by
nbclient, in the release's folder: the report is rich output in the cell (HTML for front
ends that show HTML, text otherwise), a recognised mistake's code is in its cell's output, an
unanswered question says "not attempted", and a function redefined in a later cell is
checked on its latest definition.
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest

from grader.cli import main
from tests.conftest import SUBMISSIONS, module_group

nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

pytestmark = [pytest.mark.kernel, module_group("notebook-kernel")]

SECOND_ORDER = SUBMISSIONS / "second_order"


def function_source(path, name: str) -> str:
    source = path.read_text()
    node = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == name)
    return ast.get_source_segment(source, node)


def answer(notebook, name: str, source: str) -> None:
    """Replace the stub's cell for `name` with the student's answer."""
    cell = next(
        c for c in notebook.cells if c.cell_type == "code" and c.source.lstrip().startswith(f"def {name}(")
    )
    cell.source = source


def insert_after(notebook, name: str, *sources: str) -> None:
    index = next(
        i for i, c in enumerate(notebook.cells) if c.cell_type == "code" and f"def {name}(" in c.source
    )
    for offset, source in enumerate(sources, start=1):
        notebook.cells.insert(index + offset, nbformat.v4.new_code_cell(source))


def cell_output(cell) -> tuple[str, set[str]]:
    """All the text a front end could show for a cell, and the MIME types it was given."""
    texts, kinds = [], set()
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            texts.append(output.text)
        elif output.output_type in ("display_data", "execute_result"):
            kinds.update(output.data)
            texts.extend(str(output.data.get(k, "")) for k in ("text/plain", "text/html"))
        elif output.output_type == "error":
            texts.append("\n".join(output.traceback))
    return re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(texts)), kinds


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The released second_order notebook, filled in and run in a real kernel."""
    release = tmp_path_factory.mktemp("notebook") / "repo"
    assert main(["release", "second_order", "--out", str(release)]) == 0
    notebook = nbformat.read(release / "second_order.ipynb", as_version=4)
    correct = SECOND_ORDER / "correct_compact.py"
    mistaken = SECOND_ORDER / "missing_create_graph.py"
    imports = next(c for c in notebook.cells if c.cell_type == "code")
    imports.source += "\nfrom torch.autograd import grad\nfrom grader import check"
    for name in ("first_order_grads", "second_partials", "grads_without_zeroing"):
        answer(notebook, name, function_source(correct, name))
    # hessian: left as the stub raises NotImplementedError
    answer(notebook, "hvp", "def hvp(f, x, v):\n    return torch.zeros_like(x)  # a first try")
    answer(notebook, "gradient_penalty", function_source(correct, "gradient_penalty"))
    insert_after(notebook, "second_partials", 'check("second_partials")')
    insert_after(notebook, "hessian", 'check("hessian")')
    insert_after(notebook, "hvp", function_source(correct, "hvp"), 'check("hvp")')
    insert_after(
        notebook,
        "gradient_penalty",
        "# a later 'simplification' that drops create_graph\n"
        + function_source(mistaken, "gradient_penalty"),
        'check("gradient_penalty")',
    )
    client = nbclient.NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(release)}}
    )
    with pytest.MonkeyPatch.context() as patch:  # the kernel finds the release's .grader/
        patch.delenv("GRADER_ASSIGNMENTS", raising=False)
        client.execute()
    checks = {
        re.search(r'check\("(\w+)"\)', c.source).group(1): c
        for c in notebook.cells
        if c.cell_type == "code" and c.source.startswith("check(")
    }
    return checks


def test_a_correct_answer_renders_its_report_in_the_cell(executed):
    text, kinds = cell_output(executed["second_partials"])
    assert "text/html" in kinds and "text/plain" in kinds
    assert "second_partials" in text and "passed" in text
    assert "Traceback" not in text and "SubmissionResult(" not in text


def test_a_classic_mistake_is_named_in_the_cell(executed):
    text, _ = cell_output(executed["gradient_penalty"])
    assert "missing_create_graph" in text
    assert "failed" in text


def test_an_unanswered_question_is_not_attempted(executed):
    text, _ = cell_output(executed["hessian"])
    assert "not attempted" in text


def test_a_function_redefined_later_is_checked_on_its_latest_definition(executed):
    # hvp: a wrong first try, then a correct cell; gradient_penalty: correct, then wrong
    hvp, _ = cell_output(executed["hvp"])
    assert "passed" in hvp and "failed" not in hvp
    penalty, _ = cell_output(executed["gradient_penalty"])
    assert "failed" in penalty
