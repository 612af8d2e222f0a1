"""Turn a notebook's code cells into a module the worker can import.

Code cells become the module in order; markdown and raw cells are ignored. IPython magics
(`%matplotlib inline`, `%%capture`) and shell escapes (`!pip install ...`) are neutralised,
never executed. A cell that does not compile is left out, and a note names it by number.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.errors import SubmissionError


@dataclass
class ModuleSource:
    """The module's text, and notes for the report (cells left out, and why)."""

    text: str
    notes: list[str] = field(default_factory=list)


def neutralise_magics(source: str) -> str:
    """Replace magic and shell lines by `pass`, keeping indentation and line numbers."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n".join(f"# (cell magic left out) {line}" for line in lines)
    kept = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")) or _is_shell_assignment(stripped):
            indent = line[: len(line) - len(stripped)]
            kept.append(f"{indent}pass  # (magic left out) {stripped}")
        else:
            kept.append(line)
    return "\n".join(kept)


def _is_shell_assignment(line: str) -> bool:
    """`files = !ls` and `x = %time f()`: IPython syntax that plain Python cannot run."""
    if "=" not in line:
        return False
    _, _, right = line.partition("=")
    return right.lstrip().startswith(("!", "%")) and not right.lstrip().startswith("!=")


def module_from_cells(cells: list[tuple[int, str]], *, label: str = "cell") -> ModuleSource:
    """Join numbered code cells into one module, leaving out the cells that do not compile."""
    parts, notes = [], []
    for number, source in cells:
        code = neutralise_magics(source)
        try:
            ast.parse(code)
        except SyntaxError as exc:
            notes.append(f"{label} {number} has a syntax error (line {exc.lineno}: {exc.msg}) "
                         "and was left out")
            continue
        parts.append(f"# --- {label} {number} ---\n{code}\n")
    return ModuleSource("\n".join(parts), notes)


def notebook_module(path: Path) -> ModuleSource:
    """The module made from a notebook file's code cells."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for a broken file
        raise SubmissionError(f"{path.name}: not a readable notebook ({type(exc).__name__})") from None
    # Numbered among all cells, as a student counts them from the top of the notebook.
    cells = [(number, cell.source) for number, cell in enumerate(notebook.cells, start=1)
             if cell.cell_type == "code"]
    return module_from_cells(cells)
