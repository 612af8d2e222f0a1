"""A small course written in a test's folder: one assignment, its reference and its tests, to
grade for real without the shipped assignments' cost (each file given as text)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from grader.course.assignment import Assignment
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.results import SubmissionResult

CONFIG = """\
title = "{name}"
module = "{name}"
{extra}
[questions]
{questions}
"""
PROBES = "FUNCTIONS = {}\nPROBES = {}\n"


def write_course(
    root: Path,
    name: str,
    *,
    questions: dict[str, tuple[int, int]],
    stub: str,
    solution: str,
    public_tests: str,
    hidden_tests: str = "",
    files: dict[str, str] | None = None,
    config: str = "",
    catalogue: str = "",
) -> Path:
    """assignments/<name> and reference/<name> under `root`; `files` are further files by
    path relative to `root`. Returns the assignment's folder."""
    public, hidden = root / "assignments" / name, root / "reference" / name
    texts = {
        public / "assignment.toml": CONFIG.format(
            name=name,
            extra=textwrap.dedent(config),
            questions="\n".join(
                f'"{q}" = {{ public = {p}, hidden = {h} }}' for q, (p, h) in questions.items()
            ),
        ),
        public / f"{name}.py": stub,
        public / "probes.py": PROBES,
        public / "misconceptions.toml": catalogue,
        public / "tests" / "test_public.py": public_tests,
        hidden / f"{name}.py": solution,
        hidden / "tests" / "test_hidden.py": hidden_tests or "",
    }
    texts.update({root / path: text for path, text in (files or {}).items()})
    for path, text in texts.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return public


def both_halves(tests: str) -> dict[str, str]:
    """One test file's text as write_course's public and hidden tests: `{half}` in it is ""
    in the public file and "_hidden" in the hidden one, so that no two tests share a name."""
    return {"public_tests": tests.format(half=""), "hidden_tests": tests.format(half="_hidden")}


def grade(folder: Path, submissions: dict[str, Path]) -> dict[str, SubmissionResult]:
    """Each submission graded live against the reference, unsandboxed, by id."""
    assignment = Assignment.load(folder)
    reference = folder.parent.parent / "reference" / assignment.name
    options = GradingOptions(mode=GRADE, reference_dir=reference, run_slow=True)
    with Grader(assignment, options) as grader:
        return {name: grader.grade(Submission(name, path))[0] for name, path in submissions.items()}
