"""Build an assignment's notebook from its stub and its lessons, so the two never drift.

The stub is split at its top-level definitions: each graded function becomes one code cell,
preceded by the lesson written for it in ``lessons.md`` (sections marked
``<!-- before NAME -->``). Run ``python -m grader.authoring.notebook ASSIGNMENT`` after editing either.
"""

from __future__ import annotations

import ast
import re
import sys

import nbformat

from grader.course.assignment import Assignment, find_assignment, known_assignments
from grader.intake.files import READABLE_BY_ALL, write_text_atomic

SECTION = re.compile(r"^<!-- (intro|end|before (\w+)) -->\s*$", re.MULTILINE)


def lessons(text: str) -> dict[str, str]:
    """Map 'intro', 'end' and each function name to its markdown."""
    marks = list(SECTION.finditer(text))
    found = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(text)
        key = mark.group(2) or mark.group(1)
        found[key] = text[mark.end() : end].strip()
    return found


def code_cells(source: str) -> list[tuple[str | None, str]]:
    """Split the stub into (function name or None, source) chunks, in order."""
    tree = ast.parse(source)
    lines = source.splitlines()
    chunks: list[tuple[str | None, str]] = []
    start = 0
    for node in tree.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
        if isinstance(node, ast.Expr) and isinstance(getattr(node, "value", None), ast.Constant):
            start = _last_line(node)  # the module docstring becomes the intro's text
            continue
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            if start < first and "\n".join(lines[start:first]).strip():
                chunks.append((None, "\n".join(lines[start:first]).strip()))
            start = _last_line(node)
            chunks.append((node.name, "\n".join(lines[first:start]).strip()))
    if "\n".join(lines[start:]).strip():
        chunks.append((None, "\n".join(lines[start:]).strip()))
    return chunks


def _last_line(node: ast.stmt) -> int:
    """The statement's last line: ast sets it on everything it parses."""
    return node.end_lineno if node.end_lineno is not None else node.lineno


def build_notebook(assignment: Assignment) -> nbformat.NotebookNode:
    source = assignment.stub_path.read_text()
    lesson = lessons((assignment.folder / "lessons.md").read_text())
    docstring = ast.get_docstring(ast.parse(source)) or ""
    cells = [
        nbformat.v4.new_markdown_cell(lesson.get("intro", f"# {assignment.title}")),
        nbformat.v4.new_markdown_cell(f"```text\n{docstring}\n```"),
    ]
    for name, chunk in code_cells(source):
        if name in lesson:
            cells.append(nbformat.v4.new_markdown_cell(lesson[name]))
        cells.append(nbformat.v4.new_code_cell(chunk))
    if "end" in lesson:
        cells.append(nbformat.v4.new_markdown_cell(lesson["end"]))
    for index, cell in enumerate(cells):
        cell["id"] = f"{assignment.name}-{index:02d}"  # stable ids: rebuilding changes nothing
    notebook: nbformat.NotebookNode = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.update(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        }
    )
    return notebook


def notebook_text(assignment: Assignment) -> str:
    text: str = nbformat.writes(build_notebook(assignment))
    return text + "\n"


def main(argv: list[str]) -> int:
    for name in argv or sorted(known_assignments()):
        assignment = find_assignment(name)
        write_text_atomic(assignment.notebook_path, notebook_text(assignment), READABLE_BY_ALL)
        print(f"wrote {assignment.notebook_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
