"""Which questions a save changed: a digest of the code each question runs.

A question's code is its function, every top-level definition it reaches by name, directly
or through others (the rule :mod:`grader.static_check` follows), and the module's
top-level statements (imports, constants), which every question runs as the module loads.
Digests are taken over the syntax tree, so a comment, a blank line or a moved function
changes nothing. What a question runs is only known where that is safe to know: a helper
module beside the file, a notebook or a file that does not parse changes every question.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable, Sequence

from grader.static_check import reachable

Digests = dict[str, str]
"""A digest per question."""

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def question_digests(source: str, questions: Iterable[str]) -> Digests | None:
    """The digest of each question's code in `source`; None where it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    definitions = {node.name: node for node in tree.body if isinstance(node, DEFINITIONS)}
    top_level = [node for node in tree.body if not isinstance(node, DEFINITIONS)]
    decorators = [d for node in definitions.values() for d in node.decorator_list]
    shared = _dump([*top_level, *decorators])
    digests = {}
    for question in questions:
        reached = sorted(reachable(question, definitions))
        parts = [shared, *(f"{name}\0{_dump([definitions[name]])}" for name in reached)]
        digests[question] = hashlib.sha256("\0\0".join(parts).encode()).hexdigest()
    return digests


def changed_questions(
    before: Digests | None, after: Digests | None, questions: Iterable[str]
) -> frozenset[str]:
    """The questions whose code differs between two saves (all of them if either is unknown)."""
    if before is None or after is None:
        return frozenset(questions)
    return frozenset(q for q in questions if before.get(q) != after.get(q))


def _dump(nodes: Sequence[ast.AST]) -> str:
    return "\n".join(ast.dump(node, include_attributes=False) for node in nodes)
