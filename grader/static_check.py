"""A look at the submission's source for the doors that lead into the grader's code.

One more witness beside the audit hook (see README, "Security model"): a name such as
`__wrapped__`, `_getframe`, `get_referrers` or `grader_probes` in the code a question runs
has no place in a homework answer. Only code counts: comments, strings in docstrings, unused
imports and a `__main__` block do not. Code at the top of the module counts for every
question; a function's body counts for each question that reaches it by name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

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
    }
)
"""Names that reach trusted objects. functorch is not among them: other questions may use
any API, and the recorders catch its helpers wherever they are called from. numpy's array
interface (an array over any address, of numbers or of objects) and ctypeslib reach any
object in the process with no audit event at all: here they are at least seen when named."""
DOOR_PREFIXES = ("grader",)
"""A module or string naming the grader's own code (`grader.worker`, `grader_probes`)."""


def tampering_by_question(source: str, questions: Iterable[str]) -> dict[str, list[str]]:
    """For each question whose code uses a door, the doors it uses (sorted)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    definitions, top_level = _split(tree)
    doors_of = {name: _doors(node) for name, node in definitions.items()}
    everywhere = set().union(*(_doors(node) for node in top_level)) if top_level else set()
    found = {}
    for question in questions:
        doors = set(everywhere)
        for name in _reachable(question, definitions):
            doors |= doors_of[name]
        if doors:
            found[question] = sorted(doors)
    return found


def _split(tree: ast.Module) -> tuple[dict[str, ast.AST], list[ast.AST]]:
    """Top-level definitions by name, and the rest of the module's top-level code."""
    definitions: dict[str, ast.AST] = {}
    rest: list[ast.AST] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions[node.name] = node
            rest.extend(getattr(node, "decorator_list", []))
        elif _is_main_block(node) or isinstance(node, (ast.Import, ast.ImportFrom)):
            continue  # imports count where their names are used
        else:
            rest.append(node)
    return definitions, rest


def _is_main_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    names = {getattr(n, "id", None) for n in ast.walk(node.test)}
    values = {getattr(n, "value", None) for n in ast.walk(node.test)}
    return "__name__" in names and "__main__" in values


def _reachable(question: str, definitions: dict[str, ast.AST]) -> set[str]:
    """The top-level definitions a question's function mentions, directly or through others."""
    seen, todo = set(), [question]
    while todo:
        name = todo.pop()
        if name in seen or name not in definitions:
            continue
        seen.add(name)
        todo.extend(n.id for n in ast.walk(definitions[name]) if isinstance(n, ast.Name))
    return seen


def _doors(node: ast.AST) -> set[str]:
    """Doors named in `node`. A plain variable named like the grader (`grader`, bound to
    nothing by a notebook's left-out `import grader`) is no door; importing the grader's
    modules, or naming them in a string, is."""
    found = set()
    for child in ast.walk(node):
        for name in _names(child):
            if name in DOORS or (name.startswith(DOOR_PREFIXES) and not isinstance(child, ast.Name)):
                found.add(name)
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
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _is_dotted(node.value):
        return node.value.split(".")  # getattr(f, "__wrapped__"), sys.modules["grader_probes"]
    return []


def _is_dotted(text: str) -> bool:
    """A name or dotted path, as code passes to getattr or import_module (not prose)."""
    return len(text) < 200 and all(part.isidentifier() for part in text.split("."))
