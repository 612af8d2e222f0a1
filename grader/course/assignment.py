"""An assignment: its student-facing folder, its configuration, and where its hidden half is."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from grader.course.late_policy import LatePolicy, policy_from_table
from grader.course.misconceptions import Catalogue
from grader.errors import ConfigError, GraderError

CONFIG_FILE = "assignment.toml"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The folder holding grader/ and, in a checkout, the course's assignments/."""


@dataclass(frozen=True)
class QuestionPoints:
    """Points of one question, split between its public and its hidden tests."""

    public: float
    hidden: float

    @property
    def total(self) -> float:
        return self.public + self.hidden


@dataclass(frozen=True)
class Limits:
    """Per-call time limit, import time limit and worker memory for this assignment."""

    call_seconds: float = 10.0
    import_seconds: float = 60.0
    memory_mib: int = 2048


@dataclass(frozen=True)
class Forbidden:
    """Ready-made helpers a question may forbid (`expect_clean_call(reply, forbid_helpers=True)`):
    `helpers` maps a module to the names in it that the worker records calls to; `advice` is
    what the failing test tells the student to do instead."""

    helpers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    advice: str = ""

    def as_arguments(self) -> list[str]:
        """The worker's command line for them: `--forbid module:name,name` per module."""
        return [
            argument
            for module, names in self.helpers.items()
            for argument in ("--forbid", f"{module}:{','.join(names)}")
        ]


@dataclass(frozen=True)
class Assignment:
    """The student-facing half of an assignment (stub, notebook, public tests, probes)."""

    name: str
    folder: Path
    title: str
    module_name: str
    questions: dict[str, QuestionPoints]
    limits: Limits
    training_questions: frozenset[str] = frozenset()
    """The questions whose code may take an optimizer step (`trains`: true names every one)."""
    forbidden: Forbidden = field(default_factory=Forbidden)
    misconceptions: Catalogue = field(default_factory=Catalogue)
    calls: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Which questions call which ([calls] in assignment.toml): a failing test of a caller is
    told of a recognised mistake in a function it calls (the root cause)."""
    late: LatePolicy | None = None
    """The deadline and the points a late submission loses ([late] in assignment.toml)."""
    given: tuple[str, ...] = ()
    """Files the course hands students (`given = ["utils.py"]`), relative to the folder: they
    ship in the release and sit beside every submission in grading, the course's copy."""

    @property
    def file_name(self) -> str:
        return f"{self.module_name}.py"

    @property
    def stub_path(self) -> Path:
        return self.folder / self.file_name

    @property
    def notebook_path(self) -> Path:
        return self.folder / f"{self.module_name}.ipynb"

    @property
    def public_tests(self) -> Path:
        return self.folder / "tests"

    @property
    def probes_path(self) -> Path:
        return self.folder / "probes.py"

    @property
    def expectations_path(self) -> Path:
        return self.folder / "expected.json"

    def question_selection(self, names: list[str] | None) -> frozenset[str] | None:
        """The questions named on a command line (--question), checked; None when none is."""
        if not names:
            return None
        unknown = [n for n in names if n not in self.questions]
        if unknown:
            raise GraderError(
                f"unknown question {unknown[0]!r} in {self.name}: choose from {', '.join(self.questions)}"
            )
        return frozenset(names)

    @property
    def total_points(self) -> float:
        return sum(q.total for q in self.questions.values())

    def trains_in(self, questions: frozenset[str] | None) -> bool:
        """Whether checking `questions` (None: every one) runs code that takes an optimizer
        step, so that the worker pays torch's first step (about 1 s) only when it is used."""
        return bool(self.training_questions if questions is None else questions & self.training_questions)

    @property
    def hidden_points(self) -> float:
        return sum(q.hidden for q in self.questions.values())

    @classmethod
    def load(cls, folder: Path) -> Assignment:
        config_path = folder / CONFIG_FILE
        try:
            config = tomllib.loads(config_path.read_text())
        except FileNotFoundError:
            raise GraderError(f"{folder} is not an assignment: it has no {CONFIG_FILE}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: {exc}") from None
        questions = _questions(config.get("questions"), config_path)
        return cls(
            name=folder.name,
            folder=folder.resolve(),
            title=_string(config, "title", config_path),
            module_name=_string(config, "module", config_path),
            questions=questions,
            limits=_limits(config.get("limits", {}), config_path),
            training_questions=_training_questions(config, set(questions), config_path),
            forbidden=_forbidden(config.get("forbidden", {}), config_path),
            misconceptions=Catalogue.load(folder, set(questions)),
            calls=_calls(config.get("calls", {}), set(questions), config_path),
            late=(policy_from_table(config["late"], config_path) if "late" in config else None),
            given=_given(config.get("given", []), folder, config_path),
        )


def _string(config: dict[str, Any], key: str, where: Path) -> str:
    value = config.get(key)
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: '{key}' must be a non-empty string")
    return value


def _training_questions(config: dict[str, Any], questions: set[str], where: Path) -> frozenset[str]:
    """`trains`: true (any question may train), false, or the list of the questions that do."""
    value = config.get("trains", False)
    if isinstance(value, bool):
        return frozenset(questions) if value else frozenset()
    if not isinstance(value, list) or not value or not all(name in questions for name in value):
        raise ConfigError(
            f"{where}: 'trains' must be true, false or a list of questions from [questions] "
            f"(those whose code takes an optimizer step), not {value!r}"
        )
    return frozenset(value)


def _points(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"invalid points {value!r} from {where}: use a number >= 0")
    return float(value)


def _questions(table: object, where: Path) -> dict[str, QuestionPoints]:
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{where}: [questions] must list each question's points")
    questions = {}
    for name, entry in table.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: questions.{name} must be a table with public and hidden")
        if entry and all(isinstance(value, dict) for value in entry.values()):
            raise ConfigError(f'{where}: quote a method\'s name: "{name}.{next(iter(entry))}" = {{ ... }}')
        questions[name] = QuestionPoints(
            public=_points(entry.get("public", 0), f"questions.{name}.public in {where}"),
            hidden=_points(entry.get("hidden", 0), f"questions.{name}.hidden in {where}"),
        )
    return questions


def _calls(table: object, questions: set[str], where: Path) -> dict[str, tuple[str, ...]]:
    """[calls]: each question mapped to the questions it calls (`caller = ["callee", ...]`)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [calls] must be a table of question = [questions it calls]")
    calls = {}
    for caller, callees in table.items():
        if caller not in questions:
            raise ConfigError(f"{where}: [calls] names {caller!r}, which is not a question")
        if not isinstance(callees, list) or not all(isinstance(c, str) for c in callees):
            raise ConfigError(f"{where}: calls.{caller} must be a list of question names")
        unknown = [c for c in callees if c not in questions or c == caller]
        if unknown:
            raise ConfigError(
                f"{where}: calls.{caller} names {', '.join(map(repr, unknown))}: list other questions only"
            )
        calls[caller] = tuple(callees)
    return calls


def _given(value: object, folder: Path, where: Path) -> tuple[str, ...]:
    """`given`: relative paths of regular files in the assignment's folder, none the stub."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: 'given' must be a list of file paths relative to {folder.name}/")
    for name in value:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or path.parts[0] in ("tests", CONFIG_FILE):
            raise ConfigError(f"{where}: given file {name!r} must lie inside the assignment's folder")
        if not (folder / path).is_file() or (folder / path).is_symlink():
            raise ConfigError(f"{where}: given file {name!r} is not a file in {folder}")
    return tuple(value)


def _limits(table: object, where: Path) -> Limits:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [limits] must be a table")
    defaults = Limits()
    values = {}
    for key in ("call_seconds", "import_seconds", "memory_mib"):
        value = table.get(key, getattr(defaults, key))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"invalid {key} {value!r} from [limits] in {where}: use a positive number")
        values[key] = value
    return Limits(float(values["call_seconds"]), float(values["import_seconds"]), int(values["memory_mib"]))


def _forbidden(table: object, where: Path) -> Forbidden:
    if not isinstance(table, dict) or set(table) - {"helpers", "advice"}:
        raise ConfigError(f"{where}: [forbidden] must be a table with helpers and advice")
    helpers = table.get("helpers", {})
    if not isinstance(helpers, dict) or not all(
        isinstance(names, list)
        and names
        and all(isinstance(n, str) and n.isidentifier() for n in names)
        and all(part.isidentifier() for part in module.split("."))
        for module, names in helpers.items()
    ):
        raise ConfigError(f"{where}: [forbidden.helpers] must map module names to lists of function names")
    advice = table.get("advice", "")
    if not isinstance(advice, str):
        raise ConfigError(f"{where}: forbidden.advice must be a string")
    return Forbidden({module: tuple(names) for module, names in helpers.items()}, advice)


def assignments_root() -> Path:
    """Where assignment folders live: $GRADER_ASSIGNMENTS; else, from here upwards, a
    student release's .grader/assignments or a course's assignments/; else the project's."""
    if env := os.environ.get("GRADER_ASSIGNMENTS"):
        return Path(env)
    for folder in (Path.cwd(), *Path.cwd().parents):
        for candidate in (folder / ".grader" / "assignments", folder / "assignments"):
            if candidate.is_dir():
                return candidate
    return PROJECT_ROOT / "assignments"


def find_assignment(name_or_path: str) -> Assignment:
    """Resolve an assignment given by name (its folder under the assignments root) or by folder."""
    path = Path(name_or_path)
    if (path / CONFIG_FILE).is_file():
        return Assignment.load(path)
    candidate = assignments_root() / name_or_path
    if (candidate / CONFIG_FILE).is_file():
        return Assignment.load(candidate)
    known = ", ".join(sorted(known_assignments())) or "none found"
    raise GraderError(
        f"unknown assignment {name_or_path!r} (known: {known}); "
        "name one or give the path of an assignment folder"
    )


def known_assignments() -> dict[str, Path]:
    root = assignments_root()
    if not root.is_dir():
        return {}
    return {p.name: p for p in root.iterdir() if (p / CONFIG_FILE).is_file()}


def find_reference(assignment: Assignment, override: Path | None = None) -> Path:
    """The folder holding the reference solution and hidden tests, or a one-line error."""
    folder = override if override is not None else assignment.folder.parent.parent / "reference"
    if (folder / assignment.name / assignment.file_name).is_file():
        folder = folder / assignment.name
    if not (folder / assignment.file_name).is_file():
        raise GraderError(
            f"no reference solution for {assignment.name} at {folder}: "
            "pass --reference DIR pointing to the folder holding "
            f"{assignment.file_name}"
        )
    return folder.resolve()
