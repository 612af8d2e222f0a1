"""Turn a notebook's code cells into a module the worker can import.

Code cells become the module in order; markdown and raw cells are ignored. IPython magics
(`%matplotlib inline`, `%%capture`) and shell escapes (`!pip install ...`) are neutralised,
never executed. A cell that does not compile is left out, and a note names it by number.
The notebook's JSON is read here rather than by nbformat, so that whatever shape a hostile
file has (a cell whose source is a number, a cell with no type) is one refusal, never a crash.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from typing import Any, TypeGuard

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


LEFT_OUT = (
    'type("GraderLeftOut", (), {"__getattr__": lambda self, name: self, '
    '"__call__": lambda self, *args, **kwargs: None})()'
)
"""What a grader import becomes in graded code: any attribute of it, and any call, does
nothing (a `check("QUESTION")` cell, `result = check()`, `grader.check()`)."""


def without_checks(source: str) -> str:
    """A notebook cell with its magics neutralised and its grader imports left out."""
    return stub_grader_imports(neutralise_magics(source))


def stub_grader_imports(code: str) -> str:
    """Replace every `import grader...`/`from grader... import` by names bound to LEFT_OUT.

    A notebook that checked itself while the student worked (or a .py exported from it) must
    not import the grader when graded, nor grade itself. Only the import statements change,
    in place: decorators, comments and line numbers stay as they were.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code  # module_from_cells, or the import, reports it
    imports = [node for node in ast.walk(tree) if _imports_grader(node)]
    if not imports:
        return code
    lines = code.splitlines(keepends=True)
    for node in sorted(imports, key=lambda n: (n.lineno, n.col_offset), reverse=True):
        lines = _replace_span(lines, node, _stub_for(node))
    return "".join(lines)


def _imports_grader(node: ast.AST) -> TypeGuard[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.ImportFrom):
        return node.level == 0 and (node.module or "").split(".")[0] == "grader"
    return isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "grader" for alias in node.names)


def _stub_for(node: ast.Import | ast.ImportFrom) -> str:
    if isinstance(node, ast.ImportFrom):
        names = [alias.asname or alias.name for alias in node.names if alias.name != "*"]
    else:
        names = [alias.asname or alias.name.split(".")[0] for alias in node.names]
    return " = ".join(names or ["_"]) + f" = {LEFT_OUT}"


def _replace_span(lines: list[str], node: ast.stmt, text: str) -> list[str]:
    """Put `text` where `node` stood, keeping the line count (a multi-line import's other
    lines become empty) and whatever else shares its first and last lines."""
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    head = _chars(lines[first], node.col_offset)
    tail = _rest(lines[last], node.end_col_offset or 0)
    if first == last:
        return lines[:first] + [head + text + tail] + lines[last + 1 :]
    return lines[:first] + [head + text + "\n"] + ["\n"] * (last - first - 1) + [tail] + lines[last + 1 :]


def _chars(line: str, byte_offset: int) -> str:
    """The text before a column that ast gives in UTF-8 bytes."""
    return line.encode("utf-8")[:byte_offset].decode("utf-8", "replace")


def _rest(line: str, byte_offset: int) -> str:
    return line.encode("utf-8")[byte_offset:].decode("utf-8", "replace")


def module_from_cells(cells: list[tuple[int, str]], *, label: str = "cell") -> ModuleSource:
    """Join numbered code cells into one module, leaving out the cells that do not compile;
    the grader's own `check()` does nothing there."""
    parts, notes = [], []
    for number, source in cells:
        code = without_checks(source)
        try:
            ast.parse(code)
        except SyntaxError as exc:
            notes.append(
                f"{label} {number} has a syntax error (line {exc.lineno}: {exc.msg}) and was left out"
            )
            continue
        except ValueError:  # Python 3.11 and older: null bytes
            notes.append(f"{label} {number} holds null bytes and was left out")
            continue
        parts.append(f"# --- {label} {number} ---\n{code}\n")
    return ModuleSource("\n".join(parts), notes)


def notebook_module(data: bytes, name: str) -> ModuleSource:
    """The module made from a notebook file's code cells (`name` labels refusals)."""
    return module_from_cells(code_cells(_load(data, name), name))


def code_cells(notebook: dict[str, Any], name: str) -> list[tuple[int, str]]:
    """Each code cell's number and text; anything not shaped like a notebook is refused.

    Numbered among all cells, as a student counts them from the top of the notebook.
    """
    cells, field_name = _cells(notebook, name)
    code = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            raise SubmissionError(f"{name}: cell {number} has no cell_type: not a readable notebook")
        if cell["cell_type"] == "code":
            code.append((number, _text(cell.get(field_name), number, name)))
    return code


def _load(data: bytes, name: str) -> dict[str, Any]:
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError) as exc:  # a UnicodeDecodeError is a ValueError
        raise SubmissionError(f"{name}: not a readable notebook (not JSON: {type(exc).__name__})") from None
    if not isinstance(notebook, dict):
        raise SubmissionError(f"{name}: not a readable notebook (no cells)")
    return notebook


def _cells(notebook: dict[str, Any], name: str) -> tuple[list[Any], str]:
    """The cells, and the key holding a code cell's text (nbformat 4, or 3's worksheets)."""
    if isinstance(notebook.get("cells"), list):
        return notebook["cells"], "source"
    sheets = notebook.get("worksheets")
    if isinstance(sheets, list) and all(
        isinstance(s, dict) and isinstance(s.get("cells"), list) for s in sheets
    ):
        return [cell for sheet in sheets for cell in sheet["cells"]], "input"
    raise SubmissionError(f"{name}: not a readable notebook (no list of cells)")


def _text(source: object, number: int, name: str) -> str:
    """A cell's source: a string, or a list of strings as Jupyter saves it."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    raise SubmissionError(
        f"{name}: cell {number}'s source is {type(source).__name__}, not text: not a readable notebook"
    )
