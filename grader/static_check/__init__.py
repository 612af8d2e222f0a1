"""A look at the submission's source for the doors that lead into the grader's code.

One more witness beside the audit hook (see README, "Security model"): a name such as
`__wrapped__`, `_getframe`, `get_referrers` or `grader_probes` in the code a question runs
has no place in a homework answer. Only code counts: comments, strings in docstrings, unused
imports and a `__main__` block do not. Code at the top of the module counts for every
question, and so does every definition it names (`FOMAML = _Learner`: a class or function
bound under the question's name is looked at); a function's body counts for each question
that reaches it by name (every definition, for a question only a module `__getattr__` makes);
a door in any other Python file of the submission (a helper module) counts for every question.

A name built from pieces reaches the same verdict as the literal: strings are folded where
the source fixes them (`+`, `%`, f-strings, `join`, `format`, slices, `replace`, a variable
assigned only such strings), and a string that is Python code is looked at as code. A name
computed by code the look does not run (`chr`, `bytes.decode`, a loop) stays out of its
reach: the audit hook and the sandbox are what stand there.
"""

from __future__ import annotations

import ast
import itertools
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from grader.static_check import folding as string_folding

DOORS = frozenset(
    {
        "__wrapped__",
        "__closure__",
        "cell_contents",
        "__code__",
        "co_consts",
        "__globals__",
        "_getframe",
        "currentframe",
        "f_back",
        "f_locals",
        "f_globals",
        "tb_frame",
        "gi_frame",
        "get_referrers",
        "get_referents",
        "get_objects",
        "settrace",
        "setprofile",
        "ctypes",
        "pythonapi",
        "InputSnapshot",
        "PROBES",
        "__array_interface__",
        "__array_struct__",
        "ctypeslib",
        "data_ptr",
        "marshal",
        "_imp",
        "_fix_co_filename",
    }
)
"""Names that reach trusted objects. functorch is not among them: other questions may use
any API, and the recorders catch its helpers wherever they are called from. numpy's array
interface (an array over any address, of numbers or of objects), ctypeslib and a tensor's
data pointer reach any object in the process with no audit event at all, as do marshal's
crafted code and `_imp._fix_co_filename` (code relabelled as a trusted file's): here they are
at least seen when named."""
MAX_FILES = 200
MAX_FILE_CHARS = 1_000_000
DOOR_PREFIXES = ("grader",)
"""A module or string naming the grader's own code (`grader.worker`, `grader_probes`)."""


def tampering_by_question(
    source: str | Path, questions: Iterable[str], *, course: Path | None = None
) -> dict[str, list[str]]:
    """For each question whose code uses a door, the doors it uses (sorted).

    `source` is the module's text, or the installed module's path: then every other Python
    file its folder can import (the submission's helpers) is read too, and counts for every
    question, except a file that is the course's own (as in `course`, the assignment's
    folder: a repository made from the release holds its tests and probes).
    """
    helpers: set[str] = set()
    if isinstance(source, Path):
        own = _course_texts(course) if course is not None else set()
        texts = [text for text in _helper_sources(source) if text not in own]
        helpers = set().union(*(_doors_in_file(text) for text in texts))
        source = _read(source)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = ast.Module(body=[], type_ignores=[])
    folding = string_folding.Folding(tree)
    definitions, top_level = _split(tree)
    doors_of = {name: _doors(node, folding) for name, node in definitions.items()}
    everywhere = set(helpers).union(*(_doors(node, folding) for node in top_level))
    # What the module's own top-level code names runs for every question: a definition bound
    # under the question's name (`FOMAML = _Learner`, `f = _g`) or rebound over it is one.
    for name in _reached_from(_names_in(top_level), definitions):
        everywhere |= doors_of[name]
    found = {}
    for question in questions:
        doors = set(everywhere)
        # A question no definition names, where the module has a __getattr__ to make it,
        # may run any of them.
        made = not _roots(question, definitions) and "__getattr__" in definitions
        for name in definitions if made else reachable(question, definitions):
            doors |= doors_of[name]
        if doors:
            found[question] = sorted(doors)
    return found


def _split(tree: ast.Module) -> tuple[dict[str, ast.AST], list[ast.AST]]:
    """Top-level definitions by name, and the rest of the module's top-level code."""
    definitions: dict[str, ast.AST] = {}
    rest: list[ast.AST] = []
    for node in _without_docstring(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions[node.name] = node
            rest.extend(getattr(node, "decorator_list", []))
        elif _is_main_block(node) or isinstance(node, (ast.Import, ast.ImportFrom)):
            continue  # imports count where their names are used
        else:
            rest.append(node)
    return definitions, rest


def _without_docstring(tree: ast.Module) -> list[ast.stmt]:
    """The module's statements but its docstring: prose, as a function's docstring is."""
    body = tree.body
    first = body[0] if body else None
    is_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    return body[1:] if is_doc else list(body)


def _is_main_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    names = {getattr(n, "id", None) for n in ast.walk(node.test)}
    values = {getattr(n, "value", None) for n in ast.walk(node.test)}
    return "__name__" in names and "__main__" in values


def reachable(question: str, definitions: Mapping[str, ast.AST]) -> set[str]:
    """The top-level definitions a question's code mentions, directly or through others (for
    a class or a method, from the whole class): what a static look or a change can reach."""
    return _reached_from(_roots(question, definitions), definitions)


def _names_in(nodes: Iterable[ast.AST]) -> list[str]:
    return [n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)]


def _reached_from(roots: Iterable[str], definitions: Mapping[str, ast.AST]) -> set[str]:
    """The definitions among `roots`, and those they mention, directly or through others."""
    seen, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in definitions:
            continue
        seen.add(name)
        todo.extend(n.id for n in ast.walk(definitions[name]) if isinstance(n, ast.Name))
    return seen


def _roots(question: str, definitions: Mapping[str, ast.AST]) -> list[str]:
    """Where a question's code starts: its function or class; for a method (`Class.method`,
    or a bare name only a class defines) the whole class, whose methods reach each other
    through `self`."""
    head = question.split(".")[0]
    if head in definitions:
        return [head]
    return [
        name
        for name, node in definitions.items()
        if isinstance(node, ast.ClassDef)
        and any(
            isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.name == question for f in node.body
        )
    ]


def _helper_sources(module: Path) -> list[str]:
    """The text of every other Python file the module's folder can import: `<name>.py` in
    it and in its packages' folders (names that are identifiers), no link followed."""
    texts = []
    for folder, subfolders, files in os.walk(module.parent, followlinks=False):
        subfolders[:] = sorted(name for name in subfolders if name.isidentifier())
        for name in sorted(files):
            path = Path(folder) / name
            if _importable(name) and path != module and not path.is_symlink():
                texts.append(_read(path))
            if len(texts) >= MAX_FILES:
                return texts
    return texts


def _importable(name: str) -> bool:
    stem, dot, suffix = name.rpartition(".")
    return bool(dot) and suffix == "py" and stem.isidentifier()


def _course_texts(folder: Path) -> set[str]:
    """The text of every Python file the course ships with the assignment."""
    return {_read(path) for path in sorted(folder.rglob("*.py"))[:MAX_FILES] if not path.is_symlink()}


def _read(path: Path) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return stream.read(MAX_FILE_CHARS)
    except OSError:
        return ""


def _doors_in_file(source: str) -> set[str]:
    """Every door a helper module names, outside its `__main__` block."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    folding = string_folding.Folding(tree)
    code = [node for node in _without_docstring(tree) if not _is_main_block(node)]
    return set().union(*(_doors(node, folding) for node in code))


def _doors(node: ast.AST, folding: string_folding.Folding, depth: int = 0) -> set[str]:
    """Doors named in `node`. A plain variable named like the grader (`grader`, bound to
    nothing by a notebook's left-out `import grader`) is no door; importing the grader's
    modules, or naming them in a string, is. Strings count as folded, and as code."""
    found = set()
    docstrings = _docstrings(node)
    for child in ast.walk(node):
        for name in _names(child):
            if name in DOORS or (name.startswith(DOOR_PREFIXES) and not isinstance(child, ast.Name)):
                found.add(name)
        if isinstance(child, ast.expr) and id(child) not in docstrings:
            for text in folding.values(child):
                found |= _doors_in_text(text, folding, depth)
    return found


def _doors_in_text(text: str, folding: string_folding.Folding, depth: int) -> set[str]:
    """Doors a string names: as a dotted name (`getattr(f, "__wrapped__")`), or as code."""
    if _is_dotted(text):
        return {p for p in text.split(".") if p in DOORS or p.startswith(DOOR_PREFIXES)}
    if depth >= 2 or len(text) > MAX_FILE_CHARS // 10:
        return set()
    try:
        code = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return _doors(code, string_folding.Folding(code), depth + 1)


def _docstrings(node: ast.AST) -> set[int]:
    """The docstrings under `node` (prose, never a name to look up)."""
    found = set()
    for child in itertools.chain([node], ast.walk(node)):
        body = getattr(child, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def _names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.alias):
        return node.name.split(".")
    if isinstance(node, ast.ImportFrom) and node.module:
        return node.module.split(".")
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]  # a class's own `def __array_interface__(self)`
    if isinstance(node, ast.keyword) and node.arg:
        return [node.arg]
    return []


def _is_dotted(text: str) -> bool:
    """A name or dotted path, as code passes to getattr or import_module (not prose)."""
    return len(text) < 200 and all(part.isidentifier() for part in text.split("."))
