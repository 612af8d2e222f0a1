"""The architecture is the folder tree, and imports keep to it.

Every module of `grader/` sits in one layer; a module imports only from its own layer or those
below it, there is no import cycle, and every import counts, the ones inside functions too (a
function-level import is still an arrow: it is only allowed for what is slow to import, such as
torch or matplotlib, never to hide a cycle). Two lines matter most:

- the trust boundary: `grader/worker/` runs beside student code and imports only itself and
  `grader/wire/`; `grader/wire/` is shared by both sides and imports only itself;
- the commands: the library never imports a command, and a command never imports another
  (what two commands share lives in the library).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "grader"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("wire: what both sides of the boundary share", ("grader.wire",)),
    ("worker: everything beside student code", ("grader.worker",)),
    (
        "shared by every stage",
        (
            "grader.version",
            "grader.errors",
            "grader.untrusted_text",
            "grader.atomic",
            "grader.results",
            "grader.problems",
            "grader.call_description",
            "grader.captured_output",
            "grader.worker_mode",
        ),
    ),
    ("course: an assignment on disk", ("grader.course",)),
    ("intake: what students hand in", ("grader.intake",)),
    ("gradebook: stored results and the one total", ("grader.gradebook",)),
    ("sandbox: confinement, trusted half", ("grader.sandbox",)),
    ("similarity: how alike a class's submissions are", ("grader.similarity",)),
    ("outputs: renderings of a graded batch", ("grader.outputs",)),
    (
        "one submission through pytest",
        (
            "grader.remote_object",
            "grader.current_test",
            "grader.reference",
            "grader.student",
            "grader.worker_client",
            "grader.head_start",
            "grader.leaderboard",
            "grader.feedback",
            "grader.static_check",
            "grader.testing",
            "grader.planned_test",
            "grader.seeds",
            "grader.verdicts",
            "grader.root_causes",
            "grader.submission_run",
            "grader.plugin",
            "grader.session",
            "grader.grading",
            "grader.batch",
            "grader.similarity",
        ),
    ),
    (
        "entry points beside the commands",
        ("grader.jupyter", "grader.authoring", "grader.autograder", "grader.watch"),
    ),
    ("commands: one module per subcommand", ("grader.commands",)),
    ("the edge", ("grader.cli", "grader.__main__", "grader")),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def grader_imports(path: Path) -> list[str]:
    """Every grader module a file imports, at the top or inside a function, however spelled."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append("relative import")
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.append(child if is_module(child) else node.module)
    return [name for name in found if name.split(".")[0] == "grader" or name == "relative import"]


def within(module: str, prefix: str) -> bool:
    """`module` is `prefix` or inside it; the bare package `grader` names only its __init__."""
    return module == prefix or ("." in prefix and module.startswith(prefix + "."))


def layer_of(module: str) -> int:
    """The index of the most specific layer prefix naming `module`."""
    best: tuple[int, int] | None = None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if within(module, prefix) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    assert best is not None, f"{module} is in no layer: add it to LAYERS (and to the tree's story)"
    return best[0]


def import_graph(files: Iterable[Path]) -> dict[str, set[str]]:
    return {module_name(path): set(grader_imports(path)) for path in files}


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    found = []
    for module, imported in sorted(graph.items()):
        for name in sorted(imported):
            if name == "relative import":
                found.append(f"{module} uses a relative import")
            elif layer_of(name) > layer_of(module):
                found.append(
                    f"{module} ({LAYERS[layer_of(module)][0]}) imports {name} ({LAYERS[layer_of(name)][0]})"
                )
            elif (
                module.startswith("grader.commands.")
                and name.startswith("grader.commands.")
                and name != module
            ):
                found.append(f"{module} imports another command, {name}")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for successor in graph.get(node, ()):
            if successor not in graph:
                continue
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


GRAPH = import_graph(sorted(PACKAGE.rglob("*.py")))


def test_every_module_is_in_a_layer():
    for module in GRAPH:
        layer_of(module)


def test_no_module_imports_a_layer_above_its_own():
    assert upward_imports(GRAPH) == []


def test_there_is_no_import_cycle():
    assert cycles(GRAPH) == []


@pytest.mark.parametrize(
    "side,allowed", [("worker", ("grader.worker", "grader.wire")), ("wire", ("grader.wire",))]
)
def test_a_side_of_the_trust_boundary_imports_only_what_it_may(side, allowed):
    modules = [m for m in GRAPH if within(m, f"grader.{side}")]
    assert modules, f"grader/{side}/ is empty"
    for module in modules:
        for name in GRAPH[module]:
            assert any(within(name, prefix) for prefix in allowed), f"{module} imports {name}"


def test_the_checks_find_a_crossing_an_upward_import_and_a_cycle(tmp_path):
    """Each rule above can fail: files breaking each one are caught."""
    worker = tmp_path / "worker.py"
    worker.write_text("def f():\n    import grader.grading\nfrom grader.plugin import GradingPlugin\n")
    assert grader_imports(worker) == ["grader.plugin", "grader.grading"]
    graph = {
        "grader.course.assignment": {"grader.commands.grade"},
        "grader.commands.merge": {"grader.commands.grade"},
        "grader.commands.grade": set(),
        "grader.gradebook.store": {"grader.gradebook.standing"},
        "grader.gradebook.standing": {"grader.gradebook.store"},
    }
    assert upward_imports(graph) == [
        "grader.commands.merge imports another command, grader.commands.grade",
        "grader.course.assignment (course: an assignment on disk) imports grader.commands.grade "
        "(commands: one module per subcommand)",
    ]
    assert cycles(graph) == [["grader.gradebook.standing", "grader.gradebook.store"]]
