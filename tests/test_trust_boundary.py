"""The trust boundary is visible in the tree, and nothing crosses it by import.

`grader/worker/` runs beside student code and may import only itself and `grader/wire/`;
`grader/wire/` is shared by both sides and imports only itself. Whatever student code can
reach in the worker, it cannot reach the trusted side's modules through them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "grader"
ALLOWED = {"worker": ("grader.worker", "grader.wire"), "wire": ("grader.wire",)}


def grader_imports(path: Path) -> list[str]:
    """Every module of the grader that a file imports, however it imports it."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            found.append("relative import")
    return [name for name in found if name.split(".")[0] == "grader" or name == "relative import"]


@pytest.mark.parametrize("side", sorted(ALLOWED))
def test_a_side_of_the_boundary_imports_only_what_it_may(side):
    files = sorted((PACKAGE / side).glob("*.py"))
    assert files, f"grader/{side}/ is empty"
    for path in files:
        for name in grader_imports(path):
            assert name.startswith(ALLOWED[side]), f"{path.relative_to(ROOT)} imports {name}"


def test_the_check_finds_a_crossing(tmp_path):
    """The scan above can fail: a worker file importing the trusted side is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from grader.plugin import GradingPlugin\nimport grader.grading\n")
    assert grader_imports(bad) == ["grader.plugin.GradingPlugin", "grader.grading"]
    assert not all(n.startswith(ALLOWED["worker"]) for n in grader_imports(bad))
