"""Strings a module's source fixes, folded as Python would build them at run time.

`"__array_" + "interface__"`, `f"{a}{b}"` with constant parts, `"".join([...])`,
`"{}{}".format(...)`, `"%s%s" % (...)`, `"...")[::-1]`, `.replace(...)`, `str(...)`, `*` by a
constant, and a variable every assignment of which is such a string: each gives the values
it can take, so the static look judges a name built from pieces as it judges the literal.
Anything else (a call it does not know, a loop, arithmetic on characters) gives nothing.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Callable, Iterable

MOST_VALUES = 64
"""Values kept for one expression (pieces with several values multiply)."""
LONGEST = 100_000
DEEPEST = 40


class Folding:
    """Folds expressions of one module, knowing what its variables are assigned."""

    def __init__(self, tree: ast.AST) -> None:
        self._assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            for name, value in _assignments(node):
                self._assigned.setdefault(name, []).append(value)
        self._resolving: set[str] = set()

    def values(self, node: ast.expr) -> set[str]:
        """Every string `node` can be, where the source fixes it; empty where it does not."""
        try:
            return set(itertools.islice(self._fold(node, 0), MOST_VALUES))
        except (RecursionError, MemoryError, ValueError, TypeError, OverflowError):
            return set()

    def _fold(self, node: ast.expr, depth: int) -> set[str]:
        if depth > DEEPEST:
            return set()
        fold: Callable[[ast.expr], set[str]] = lambda n: self._fold(n, depth + 1)  # noqa: E731
        if isinstance(node, ast.Constant):
            return {node.value} if isinstance(node.value, str) else set()
        if isinstance(node, ast.Name):
            return self._variable(node.id, depth)
        if isinstance(node, ast.NamedExpr):
            return fold(node.value)
        if isinstance(node, ast.BinOp):
            return _binary(node, fold)
        if isinstance(node, ast.JoinedStr):
            return _joined(node, fold)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return _sliced(fold(node.value), node.slice)
        if isinstance(node, ast.Call):
            return _called(node, fold)
        return set()

    def _folder(self, depth: int, *, earlier: set[str]) -> Callable[[ast.expr], set[str]]:
        """Fold at `depth`, with `earlier` as the values a `+=` adds to."""
        return lambda node: earlier if node is _EARLIER else self._fold(node, depth + 1)

    def _variable(self, name: str, depth: int) -> set[str]:
        if name in self._resolving or name not in self._assigned:
            return set()
        self._resolving.add(name)
        try:
            values = self._assigned[name]
            found: set[str] = set()
            for value in values:
                if not _augments(value):
                    found |= self._fold(value, depth + 1)
            for value in filter(_augments, values):  # each `+=` on what came before
                assert isinstance(value, ast.BinOp)
                found |= _binary(value, self._folder(depth, earlier=set(found)))
            return set(itertools.islice(found, MOST_VALUES))
        finally:
            self._resolving.discard(name)


def _augments(value: ast.expr) -> bool:
    return isinstance(value, ast.BinOp) and value.left is _EARLIER


def _assignments(node: ast.AST) -> Iterable[tuple[str, ast.expr]]:
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                yield target.id, node.value
            elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(node.value, (ast.Tuple, ast.List)):
                for inner, value in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(inner, ast.Name):
                        yield inner.id, value
    elif (
        isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and isinstance(node.target, ast.Name) and node.value
    ):
        yield node.target.id, node.value
    elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        yield node.target.id, ast.BinOp(left=_EARLIER, op=node.op, right=node.value)


_EARLIER = ast.Name(id="<the variable's other values>")
"""Stands for a variable's own earlier values in its augmented assignments (`name += ...`)."""


def _product(parts: list[set[str]]) -> set[str]:
    found: set[str] = set()
    for pieces in itertools.islice(itertools.product(*parts), MOST_VALUES):
        text = "".join(pieces)
        if len(text) <= LONGEST:
            found.add(text)
    return found


def _binary(node: ast.BinOp, fold: Callable[[ast.expr], set[str]]) -> set[str]:
    if isinstance(node.op, ast.Add):
        return _product([fold(node.left), fold(node.right)])
    if isinstance(node.op, ast.Mod):
        arguments = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        return {
            text % tuple(values)
            for text in fold(node.left)
            for values in itertools.islice(itertools.product(*map(fold, arguments)), MOST_VALUES)
        }
    if isinstance(node.op, ast.Mult):
        for text, count in ((node.left, node.right), (node.right, node.left)):
            if isinstance(count, ast.Constant) and type(count.value) is int and 0 <= count.value <= 64:
                return {value * count.value for value in fold(text)}
    return set()


def _joined(node: ast.JoinedStr, fold: Callable[[ast.expr], set[str]]) -> set[str]:
    parts = []
    for value in node.values:
        if isinstance(value, ast.FormattedValue):
            shown = fold(value.value)
            parts.append({repr(s) for s in shown} if value.conversion in (ord("r"), ord("a")) else shown)
        else:
            parts.append(fold(value))
    return _product(parts)


def _sliced(values: set[str], part: ast.Slice) -> set[str]:
    bounds: list[int | None] = []
    for bound in (part.lower, part.upper, part.step):
        number = _integer(bound)
        if bound is not None and number is None:
            return set()
        bounds.append(number)
    if bounds[2] == 0:
        return set()
    return {value[bounds[0] : bounds[1] : bounds[2]] for value in values}


def _integer(node: ast.expr | None) -> int | None:
    """A constant integer (negative ones too), else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1, node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


def _called(node: ast.Call, fold: Callable[[ast.expr], set[str]]) -> set[str]:
    function = node.func
    if isinstance(function, ast.Name) and function.id == "str" and len(node.args) == 1:
        return fold(node.args[0])
    if not isinstance(function, ast.Attribute) or node.keywords:
        return set()
    method, owner = function.attr, function.value
    if isinstance(owner, ast.Name) and owner.id == "str" and node.args:  # str.join(sep, parts)
        return _method(method, fold(node.args[0]), node.args[1:], fold)
    return _method(method, fold(owner), node.args, fold)


def _method(
    method: str, owners: set[str], arguments: list[ast.expr], fold: Callable[[ast.expr], set[str]]
) -> set[str]:
    if method == "join" and len(arguments) == 1:
        pieces = _items(arguments[0], fold)
        return {sep.join(p) for sep in owners for p in pieces}
    if method == "format":
        values = list(itertools.islice(itertools.product(*map(fold, arguments)), MOST_VALUES))
        return {text.format(*v) for text in owners for v in values}
    if method == "replace" and len(arguments) == 2:
        old, new = fold(arguments[0]), fold(arguments[1])
        return {text.replace(o, n) for text in owners for o in old for n in new}
    if method in ("lower", "upper", "strip", "lstrip", "rstrip") and not arguments:
        return {getattr(str, method)(text) for text in owners}
    return set()


def _items(node: ast.expr, fold: Callable[[ast.expr], set[str]]) -> list[tuple[str, ...]]:
    """The sequences of strings `node` can be: a list or tuple of strings, `reversed(...)` of
    one, or a string (its characters)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return list(itertools.islice(itertools.product(*map(fold, node.elts)), MOST_VALUES))
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "reversed"
        and len(node.args) == 1
    ):
        return [tuple(reversed(items)) for items in _items(node.args[0], fold)]
    return [tuple(text) for text in fold(node)]
