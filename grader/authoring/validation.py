"""`grader validate NAME`: prove an assignment is ready to hand out.

Each problem is one line naming a file and a line. It holds when: the config loads; the
files an assignment needs are there; the notebook matches the stub and lessons; every
misconception code the course files name is in the catalogue; the recorded expectations
are fresh; the reference gets full marks on every public and hidden test (sandboxed when
the sandbox runs here); the untouched stub gets 0, every question "not attempted"; each
known-wrong variant in ``variants.py`` loses points on its question and carries its code.
Where a test bounds a value (``expect_at_most``), the reference is graded on more draws and
each bound's margin reported (:mod:`grader.authoring.margins`).
"""

from __future__ import annotations

import ast
import difflib
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader import results
from grader.authoring.expectations import recorded_expectations
from grader.authoring.freshness import stale_differences
from grader.authoring.margins import DEFAULT_DRAWS, reference_margins, report_margins
from grader.course.assignment import CONFIG_FILE, Assignment, find_assignment, find_reference
from grader.course.misconceptions import CATALOGUE_FILE
from grader.current_test import Bound
from grader.errors import ConfigError, GraderError
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from grader.results import SubmissionResult
from grader.sandbox.bubblewrap import Sandbox

VARIANTS_FILE = "variants.py"


@dataclass(frozen=True)
class Problem:
    """One reason the assignment is not ready, at a place in a file."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Variant:
    """A known-wrong variant: a function, a method or a class, what it replaces in the
    reference (`target`), the questions it imitates, and its code."""

    function: str
    question: str
    code: str
    line: int
    kind: str = "function"
    target: str = ""
    questions: tuple[str, ...] = ()

    @property
    def imitated(self) -> tuple[str, ...]:
        return self.questions or (self.question,)


def validate(
    name_or_path: str,
    *,
    reference: Path | None = None,
    sandboxed: bool = True,
    progress: Callable[[str], None] = lambda step: None,
    report: Callable[[str], None] = lambda line: None,
    draws: int = DEFAULT_DRAWS,
) -> list[Problem]:
    """Every problem found; an empty list means the assignment is ready. `report` is told,
    per variant, which tests catch it and with which codes, and per bound a test sets, the
    reference's margin over `draws` more draws of the inputs."""
    try:
        assignment = find_assignment(name_or_path)
    except ConfigError as exc:
        return [Problem(Path(name_or_path) / CONFIG_FILE, 1, str(exc))]
    try:
        reference_dir = find_reference(assignment, reference)
    except GraderError as exc:
        return [Problem(assignment.folder / CONFIG_FILE, 1, str(exc))]
    problems = list(missing_files(assignment, reference_dir))
    if problems:
        return problems
    problems += import_problems(assignment, reference_dir)
    if problems:
        return problems
    variants, variant_problems = read_variants(assignment, reference_dir)
    problems += variant_problems
    problems += notebook_problems(assignment)
    problems += unknown_codes(assignment, reference_dir)
    progress("recorded expectations")
    problems += stale_expectations(assignment, reference_dir)
    progress("reference, stub and variants, graded")
    bounds: list[Bound] = []
    problems += graded_problems(assignment, reference_dir, variants, sandboxed, progress, report, bounds)
    if bounds and draws > 0:
        progress(f"the reference's margins on its bounds, over {draws} more draws")
    report_margins(reference_margins(assignment, reference_dir, bounds, draws, sandboxed), report)
    return problems


def import_problems(assignment: Assignment, reference_dir: Path) -> list[Problem]:
    """A course file that cannot be imported, said as such, with the line that failed."""
    from grader.reference import load_live_reference

    try:
        load_live_reference(assignment, reference_dir)
    except Exception as exc:  # noqa: BLE001 - whatever a course file raises as it is imported
        path, line = _failing_line(exc, assignment, reference_dir)
        return [Problem(path, line, f"cannot be imported: {type(exc).__name__}: {exc}")]
    return []


def _failing_line(exc: BaseException, assignment: Assignment, reference_dir: Path) -> tuple[Path, int]:
    """The last frame of the course's own files in the exception's traceback."""
    files = {*assignment.folder.rglob("*.py"), *reference_dir.rglob("*.py")}
    found = (reference_dir / VARIANTS_FILE, 1)
    if isinstance(exc, SyntaxError) and exc.filename and Path(exc.filename) in files:
        return Path(exc.filename), exc.lineno or 1
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) in files:
            found = (Path(frame.filename), frame.lineno or 1)
    return found


def missing_files(assignment: Assignment, reference_dir: Path) -> Iterator[Problem]:
    needed = {
        assignment.stub_path: "the stub students fill in",
        assignment.folder / "lessons.md": "the notebook's lessons",
        assignment.probes_path: "probes.py (FUNCTIONS and PROBES, empty if unused)",
        assignment.expectations_path: "expected.json (run `grader record`)",
        assignment.notebook_path: "the notebook (run `python -m grader.authoring.notebook`)",
    }
    for path, what in needed.items():
        if not path.is_file():
            yield Problem(path, 1, f"missing: {what}")
    for folder in (assignment.public_tests, reference_dir / "tests"):
        if not list(folder.glob("test_*.py")):
            yield Problem(folder, 1, "no test_*.py here")
    if assignment.probes_path.is_file():
        defined = _assigned_names(assignment.probes_path)
        for name in ("FUNCTIONS", "PROBES"):
            if name not in defined:
                yield Problem(assignment.probes_path, 1, f"probes.py defines no {name} dict")


def _assigned_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else ([node.target] if isinstance(node, ast.AnnAssign) else [])
        )
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _assigned_keys(path: Path, name: str) -> set[str]:
    """The string keys of a dict literal assigned to `name` in a file, and of later
    `name["key"] = ...` assignments."""
    keys: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else ([node.target] if isinstance(node, ast.AnnAssign) else [])
        )
        for target in targets:
            if isinstance(target, ast.Name) and target.id == name and isinstance(value, ast.Dict):
                keys |= {str(k.value) for k in value.keys if isinstance(k, ast.Constant)}
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == name
                and isinstance(target.slice, ast.Constant)
            ):
                keys.add(str(target.slice.value))
    return keys


def read_variants(assignment: Assignment, reference_dir: Path) -> tuple[list[Variant], list[Problem]]:
    """The variants in variants.py, each its docstring starting with its code (`code: what
    it does`): a function `<question>_...` (for a method `Class.method`, `method_...` or
    `Class_method_...`, taking `self` after the reference), or a class that subclasses a
    class of the reference and imitates it and the question methods it overrides."""
    path = reference_dir / VARIANTS_FILE
    if not path.is_file():
        return [], []
    variants, problems = [], []
    probes = _assigned_keys(assignment.probes_path, "PROBES")
    for node in ast.parse(path.read_text()).body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name.startswith("_"):
            continue
        code = (ast.get_docstring(node) or "").split(":", 1)[0].strip()
        imitates_probe = any(node.name.startswith(probe + "_") for probe in probes)
        if isinstance(node, ast.FunctionDef) and imitates_probe and code in assignment.misconceptions:
            continue  # what a probe sees of a wrong answer: the tests that use it check it
        variant = _variant(node, code, assignment)
        if isinstance(variant, str):
            problems.append(Problem(path, node.lineno, variant))
        else:
            variants.append(variant)
    return variants, problems


def _variant(node: ast.FunctionDef | ast.ClassDef, code: str, assignment: Assignment) -> Variant | str:
    """The variant `node` defines, or why it is not one."""
    if isinstance(node, ast.ClassDef):
        variant = _class_variant(node, code, assignment)
    else:
        variant = _function_variant(node, code, assignment)
    if isinstance(variant, Variant) and code not in assignment.misconceptions:
        return f"variant {node.name}'s docstring names code {code!r}, which is not in {CATALOGUE_FILE}"
    return variant


def _function_variant(node: ast.FunctionDef, code: str, assignment: Assignment) -> Variant | str:
    prefixes = {q.replace(".", "_"): q for q in assignment.questions}
    prefixes.update({q.split(".")[-1]: q for q in assignment.questions if "." in q})
    for prefix in sorted(prefixes, key=len, reverse=True):
        if node.name.startswith(prefix + "_"):
            question = prefixes[prefix]
            kind = "method" if "." in question else "function"
            return Variant(node.name, question, code, node.lineno, kind, question, (question,))
    return f"variant {node.name} is not named after a question (QUESTION_what_it_does)"


def _class_variant(node: ast.ClassDef, code: str, assignment: Assignment) -> Variant | str:
    bases = [base.id for base in node.bases if isinstance(base, ast.Name)]
    base = bases[0] if bases else ""
    methods = [f.name for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    questions = [q for q in (base, *(f"{base}.{m}" for m in methods)) if q in assignment.questions]
    if not questions:
        return (
            f"variant {node.name} imitates no question: subclass a class of the reference "
            "that is a question or has one among its methods, and override it"
        )
    return Variant(node.name, questions[0], code, node.lineno, "class", base, tuple(questions))


def notebook_problems(assignment: Assignment) -> list[Problem]:
    from grader.authoring.notebook import notebook_text  # nbformat: slow, and only this check needs it

    if assignment.notebook_path.read_text() != notebook_text(assignment):
        return [
            Problem(
                assignment.notebook_path,
                1,
                "does not match the stub and lessons.md: "
                f"run `python -m grader.authoring.notebook {assignment.folder}`",
            )
        ]
    return []


def course_sources(assignment: Assignment, reference_dir: Path) -> list[Path]:
    return sorted(
        {*assignment.folder.rglob("*.py"), *reference_dir.rglob("*.py")}
        - {assignment.stub_path, reference_dir / assignment.file_name}
    )


def unknown_codes(assignment: Assignment, reference_dir: Path) -> list[Problem]:
    """String constants in the course files that nearly spell a code: a misspelt code
    would otherwise lose its explanation only when a student makes that mistake."""
    codes = set(assignment.misconceptions.entries)
    problems = []
    for path in course_sources(assignment, reference_dir):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.isidentifier()
                and "_" in node.value
            ):
                continue
            near = difflib.get_close_matches(node.value, codes, n=1, cutoff=0.85)
            if near and node.value not in codes and node.value not in assignment.questions:
                problems.append(
                    Problem(
                        path,
                        node.lineno,
                        f"unknown misconception code {node.value!r} (did you mean {near[0]!r}?)",
                    )
                )
    return problems


def stale_expectations(assignment: Assignment, reference_dir: Path) -> list[Problem]:
    path = assignment.expectations_path
    try:
        _, fresh = recorded_expectations(str(assignment.folder), reference_dir)
    except GraderError as exc:
        return [Problem(path, 1, f"cannot record: {exc}")]
    return [
        Problem(path, 1, f"stale ({difference}): run `grader record {assignment.folder}`")
        for difference in stale_differences(path.read_text(), fresh)
    ]


def graded_problems(
    assignment: Assignment,
    reference_dir: Path,
    variants: list[Variant],
    sandboxed: bool,
    progress: Callable[[str], None],
    report: Callable[[str], None] = lambda line: None,
    bounds: list[Bound] | None = None,
) -> list[Problem]:
    """Grade the reference (what its tests bound goes to `bounds`), the stub and each
    variant; the problems each shows."""
    sandbox = None
    if sandboxed:
        try:
            sandbox = Sandbox.require(assignment)
        except GraderError as exc:  # "when possible": say so, and grade without it
            progress(f"without the sandbox, which cannot run here ({exc})")
    options = GradingOptions(mode=GRADE, reference_dir=reference_dir, run_slow=True, sandbox=sandbox)
    problems: list[Problem] = []
    with (
        tempfile.TemporaryDirectory(prefix="grader-validate-") as scratch,
        Grader(assignment, options) as grader,
    ):

        def grade(source: str, label: str, bounds: list[Bound] | None = None) -> SubmissionResult:
            folder = Path(scratch) / label
            folder.mkdir()
            (folder / assignment.file_name).write_text(source)
            return grader.grade(Submission.at(folder), bounds=bounds)[0]

        solution = (reference_dir / assignment.file_name).read_text()
        problems += reference_problems(grade(solution, "reference", bounds), assignment, reference_dir)
        problems += stub_problems(grade(assignment.stub_path.read_text(), "stub"), assignment)
        for variant in variants:
            source = with_variant(
                solution, (reference_dir / VARIANTS_FILE).read_text(), variant, assignment.module_name
            )
            result = grade(source, variant.function)
            report(variant_report(result, variant))
            problems += variant_problems(result, variant, reference_dir / VARIANTS_FILE, assignment.calls)
    return problems


def reference_problems(
    result: SubmissionResult, assignment: Assignment, reference_dir: Path
) -> list[Problem]:
    if result.problem:
        return [Problem(reference_dir / assignment.file_name, 1, result.problem)]
    return [
        Problem(
            *test_location(test.nodeid, assignment, reference_dir),
            f"the reference fails {test.name}: {test.status}: {test.message}",
        )
        for test in result.tests
        if not test.passed
    ]


def stub_problems(result: SubmissionResult, assignment: Assignment) -> list[Problem]:
    lines = _definitions(assignment.stub_path)
    problems = []
    for question in result.questions():
        if question.score > 0 or question.status != results.NOT_ATTEMPTED:
            problems.append(
                Problem(
                    assignment.stub_path,
                    lines.get(question.question, 1),
                    f"the stub's {question.question} is {question.status} "
                    f"with {question.score:g} points, expected 0 and "
                    "'not attempted' (raise NotImplementedError)",
                )
            )
    return problems


def variant_report(result: SubmissionResult, variant: Variant) -> str:
    """One line: which tests catch the variant, and with which codes."""
    caught = [t for t in result.tests if t.question in variant.imitated and not t.passed]
    codes = sorted({t.misconception or "no code" for t in caught})
    tests = "; ".join(t.name for t in caught) or "no test"
    return f"variant {variant.function} ({variant.code}): caught by {tests} [{', '.join(codes)}]"


def variant_problems(
    result: SubmissionResult, variant: Variant, path: Path, calls: dict[str, tuple[str, ...]] | None = None
) -> list[Problem]:
    """Why a variant proves nothing: it cannot run (it raised, or broke questions that do not
    call it: [calls]), no test tells it from the reference, or none names its code."""
    if result.problem:
        return [Problem(path, variant.line, f"variant {variant.function} cannot run: {result.problem}")]
    callers = {q for q, callees in (calls or {}).items() if set(callees) & set(variant.imitated)}
    reach = {*variant.imitated, *callers}
    elsewhere = [t for t in result.tests if t.question not in reach and not t.passed]
    raised = [t for t in result.tests if t.question in variant.imitated and not t.passed]
    if raised and all(t.status == results.Status.ERROR for t in raised):
        elsewhere = raised
    if elsewhere:
        return [
            Problem(
                path,
                variant.line,
                f"variant {variant.function} cannot run: {elsewhere[0].question}: "
                f"{elsewhere[0].status}: {elsewhere[0].message}",
            )
        ]
    tests = [t for t in result.tests if t.question in variant.imitated]
    imitated = ", ".join(variant.imitated)
    lost = sum(t.max_score - t.score for t in tests)
    if lost <= 0:
        return [
            Problem(
                path,
                variant.line,
                f"variant {variant.function} loses no points on {imitated}: no test tells it from the reference",
            )
        ]
    if not any(t.misconception == variant.code for t in tests if not t.passed):
        return [
            Problem(
                path,
                variant.line,
                f"variant {variant.function} loses points on {imitated} but no failing test names {variant.code!r}",
            )
        ]
    return []


def with_variant(solution: str, variants: str, variant: Variant, module: str = "") -> str:
    """The reference with one question answered by a variant: its file as a submission. A
    function or method variant is called with the reference first; a class replaces the
    class it subclasses. Imports of the reference's own module are left out (it is this file)."""
    body = "\n".join(
        line
        for line in variants.splitlines()
        if not line.startswith("from __future__")
        and not (module and line.startswith(f"from {module} import"))
    )
    functions = ", ".join(f"{name}={name}" for name in _definitions_in(solution) if "." not in name)
    graft = f"{solution}\n\n{body}\n\nimport types as _types\n_REFERENCE = _types.SimpleNamespace({functions})\n\n\n"
    if variant.kind == "class":
        return graft + f"{variant.target} = {variant.function}\n"
    if variant.kind == "method":
        owner, method = variant.target.split(".", 1)
        return graft + (
            f"def _variant_method(self, *args, **kwargs):\n"
            f"    return {variant.function}(_REFERENCE, self, *args, **kwargs)\n\n\n"
            f"{owner}.{method} = _variant_method\n"
        )
    return graft + (
        f"def {variant.question}(*args, **kwargs):\n"
        f"    return {variant.function}(_REFERENCE, *args, **kwargs)\n"
    )


def test_location(nodeid: str, assignment: Assignment, reference_dir: Path) -> tuple[Path, int]:
    """The file and line of the test a node id names (public or hidden)."""
    relative, _, rest = nodeid.partition("::")
    function = rest.split("[")[0]
    for root in (reference_dir, assignment.folder, reference_dir.parent, assignment.folder.parent):
        path = root / relative
        if path.is_file():
            return path, _definitions(path).get(function, 1)
    for path in (*assignment.public_tests.glob("*.py"), *(reference_dir / "tests").glob("*.py")):
        if path.name == Path(relative).name:
            return path, _definitions(path).get(function, 1)
    return Path(relative), 1


def _definitions(path: Path) -> dict[str, int]:
    return _definitions_in(path.read_text())


def _definitions_in(source: str) -> dict[str, int]:
    """Top-level functions and classes by name, and each class's methods as `Class.method`."""
    found: dict[str, int] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = node.lineno
        if isinstance(node, ast.ClassDef):
            found.update(
                {f"{node.name}.{f.name}": f.lineno for f in node.body if isinstance(f, ast.FunctionDef)}
            )
    return found
