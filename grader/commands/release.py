"""Build what students get for an assignment: stub, notebook, public tests, and CI.

The release holds the stub and its notebook at the top, a README for students, a GitHub
Actions workflow that runs `grader ci` on every push, and, under `.grader/`, the public
tests with their recorded expectations. It never holds the reference solution, the hidden
tests or the known-wrong variants (a test searches every release for them).
"""

from __future__ import annotations

import argparse
import json
import shutil
from importlib import resources
from pathlib import Path

from rich.console import Console

from grader.course.assignment import Assignment, find_assignment
from grader.errors import ExitCode, GraderError
from grader.intake.files import READABLE_BY_ALL, write_text_atomic
from grader.outputs.adjustments import points
from grader.version import DISTRIBUTION, __version__

NAME = "release"
HELP = "build the student release of an assignment (instructors)"
PUBLIC_FILES = ("assignment.toml", "misconceptions.toml", "expected.json", "probes.py", "checks.py")
RELEASE_ASSIGNMENTS = Path(".grader") / "assignments"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def default_requirement() -> str:
    """The grader at the version this release is built with."""
    return f"{DISTRIBUTION}=={__version__}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name (a folder under assignments/) or folder")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="an empty or new folder for the release"
    )
    parser.add_argument(
        "--requirement",
        default=None,
        metavar="SPEC",
        help="how students and CI pip-install the grader: a pinned name, "
        f"a git URL ('{DISTRIBUTION} @ git+https://...') or a wheel's "
        f"address (default: {default_requirement()}, this grader)",
    )
    parser.add_argument(
        "--torch-requirement",
        default="torch",
        metavar="SPEC",
        help="the torch CI installs, from torch's CPU-only index (default: torch)",
    )
    parser.add_argument(
        "--torch-index-url",
        default=TORCH_CPU_INDEX,
        metavar="URL",
        help=f"where CI finds torch (default: the CPU-only builds, {TORCH_CPU_INDEX})",
    )


def build_release(
    assignment: Assignment,
    out: Path,
    requirement: str | None = None,
    torch_requirement: str = "torch",
    torch_index_url: str = TORCH_CPU_INDEX,
) -> list[Path]:
    requirement = requirement or default_requirement()
    if out.exists() and any(out.iterdir()):
        raise GraderError(f"{out} is not empty: give a new or empty folder")
    if not assignment.expectations_path.is_file():
        raise GraderError(
            f"{assignment.name} has no recorded expectations: run `grader record {assignment.name}` first"
        )
    hidden = out / RELEASE_ASSIGNMENTS / assignment.name
    shutil.copytree(assignment.public_tests, hidden / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    for name in PUBLIC_FILES + (assignment.file_name,):
        if (assignment.folder / name).is_file():
            shutil.copy(assignment.folder / name, hidden / name)
    shutil.copy(assignment.stub_path, out / assignment.file_name)
    for name in assignment.given:  # beside the stub for students, and beside the tests
        for target in (out / name, hidden / name):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(assignment.folder / name, target)
    if assignment.notebook_path.is_file():
        shutil.copy(assignment.notebook_path, out / assignment.notebook_path.name)
    values = {
        "title": assignment.title,
        "file": assignment.file_name,
        "notebook": assignment.notebook_path.name,
        "requirement": requirement,
        "public_points": points(assignment.total_points - assignment.hidden_points),
        "hidden_points": points(assignment.hidden_points),
        "total_points": points(assignment.total_points),
    }
    write_text_atomic(out / "README.md", _template("student-readme.md").format(**values), READABLE_BY_ALL)
    workflow = _template("autograde.yml")
    # Each spec is a YAML double-quoted scalar (JSON's string syntax is a subset of it).
    for key, value in (
        ("requirement", requirement),
        ("torch_requirement", torch_requirement),
        ("torch_index_url", torch_index_url),
    ):
        workflow = workflow.replace("{" + key + "}", json.dumps(value))
    write_text_atomic(out / ".github" / "workflows" / "autograde.yml", workflow, READABLE_BY_ALL)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    for file in files:  # a copy keeps its source's mode: a course file written 0600 once
        file.chmod(READABLE_BY_ALL)
    return files


def _template(name: str) -> str:
    return resources.files("grader").joinpath("templates", name).read_text()


def run(options: argparse.Namespace) -> int:
    assignment = find_assignment(options.assignment)
    files = build_release(
        assignment, options.out, options.requirement, options.torch_requirement, options.torch_index_url
    )
    Console().print(
        f"Released {assignment.name} to {options.out} ({len(files)} files): no reference, no hidden tests"
    )
    return ExitCode.OK
