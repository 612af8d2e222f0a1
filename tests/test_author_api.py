"""Course content imports only the author API, and the author API is safe beside student code.

Releases copy an assignment's tests into student repositories: whatever they import must keep
working when the grader's internals move. `grader.testing` is that one module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import ASSIGNMENTS, REFERENCE, ROOT

AUTHOR_API = "grader.testing"


def grader_imports(path: Path) -> list[str]:
    """The grader modules a file imports, however it spells the import."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return [name for name in found if name == "grader" or name.startswith("grader.")]


def course_files() -> list[Path]:
    return sorted([*ASSIGNMENTS.rglob("*.py"), *REFERENCE.rglob("*.py")])


def test_course_files_import_only_the_author_api():
    files = course_files()
    assert len(files) >= 8
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in grader_imports(path)
        if name != AUTHOR_API
    ]
    assert offenders == []


def test_the_scan_finds_an_internal_import(tmp_path):
    bad = tmp_path / "test_bad.py"
    bad.write_text(
        "import grader.feedback\nfrom grader.wire.protocol import Fn\n"
        "from grader.testing import expect\nimport grader\n"
    )
    assert grader_imports(bad) == ["grader.feedback", "grader.wire.protocol", "grader.testing", "grader"]


def test_the_api_names_what_course_files_use():
    import grader.testing as api

    for name in (
        "expect",
        "expect_close",
        "expect_tensor",
        "expect_clean_call",
        "difference",
        "recognise",
        "Mismatch",
        "Reply",
        "Fn",
        "Seed",
        "InputSnapshot",
        "TAMPERING",
    ):
        assert getattr(api, name) is not None, name
        assert name in api.__all__ and name in dir(api)
    major, minor = api.API_VERSION.split(".")
    assert major.isdigit() and minor.isdigit()


def test_probes_importing_the_api_load_nothing_of_the_trusted_side():
    """In the worker a probe's `from grader.testing import InputSnapshot` loads only the
    worker's and the wire's modules: the comparisons load on first use, trusted side only."""
    code = (
        "import sys; from grader.testing import InputSnapshot, Fn, Seed; "
        "print(sorted(m for m in sys.modules if m.startswith('grader')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    modules = ast.literal_eval(loaded)
    assert "grader.testing" in modules
    outside = [
        m
        for m in modules
        if m not in ("grader", "grader.testing") and not m.startswith(("grader.wire", "grader.worker"))
    ]
    assert outside == []
