"""`from grader import check; check("QUESTION")` inside a Jupyter notebook.

Grades the functions defined in the running notebook: the cells executed so far become a
module (magics neutralised, the calls to `check` itself left out), which the public tests
run on in a separate worker, exactly as `grader check` would. The report renders inline.
"""

from __future__ import annotations

import ast
import tempfile
from pathlib import Path

from rich import print as rich_print

from grader.course.assignment import Assignment, find_assignment, known_assignments
from grader.errors import GraderError
from grader.grading import CHECK, Grader, GradingOptions
from grader.intake.notebook_module import module_from_cells, without_checks
from grader.intake.submission import Submission
from grader.outputs.submission_report import SubmissionReport
from grader.results import SubmissionResult


def executed_cells() -> list[str]:
    """The source of every cell run so far in this IPython kernel, in order."""
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is None:
        raise GraderError("check() grades a running notebook; from a terminal, run `grader check`")
    return [cell for cell in shell.user_ns.get("In", []) if cell]


def guess_assignment(question: str | None, source: str) -> Assignment:
    """The assignment that owns `question`, else the one whose functions the cells define."""
    assignments = [Assignment.load(folder) for folder in known_assignments().values()]
    if question is not None:
        owners = [a for a in assignments if question in a.questions]
        if not owners:
            raise GraderError(f"no assignment has a question named {question!r}")
        return owners[0]
    defined = {node.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)}
    best = max(assignments, key=lambda a: len(defined & set(a.questions)), default=None)
    if best is None or not defined & set(best.questions):
        raise GraderError("no graded function is defined in this notebook yet")
    return best


def check(
    question: str | None = None, *, assignment: str | None = None, cells: list[str] | None = None
) -> SubmissionResult:
    """Run the public tests of `question` (or of every question) on this notebook's code."""
    sources = [without_checks(cell) for cell in (cells if cells is not None else executed_cells())]
    module = module_from_cells(list(enumerate(sources, start=1)), label="executed cell")
    chosen = find_assignment(assignment) if assignment else guess_assignment(question, module.text)
    if question is not None and question not in chosen.questions:
        raise GraderError(f"{chosen.name} has no question {question!r}")
    questions = frozenset([question]) if question else None
    with tempfile.TemporaryDirectory(prefix="grader-notebook-") as folder:
        path = Path(folder) / chosen.file_name
        path.write_text(module.text)
        with Grader(chosen, GradingOptions(mode=CHECK, questions=questions)) as grader:
            result, _ = grader.grade(Submission(f"notebook ({chosen.name})", path))
    result.notes = module.notes + result.notes
    # rich output: HTML and text, for any front end
    rich_print(SubmissionReport(result, catalogue=chosen.misconceptions))
    result.__class__ = NotebookResult
    return result


class NotebookResult(SubmissionResult):
    """What `check()` returns in a notebook: the result, whose report the cell already shows
    (so `check("q")` as a cell's last line shows no second copy as a long repr)."""

    def _ipython_display_(self) -> None:
        pass
