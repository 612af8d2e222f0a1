"""Misconception catalogues: the classic mistakes an assignment names, and how each is explained.

Each assignment keeps its own catalogue in ``misconceptions.toml`` beside its
``assignment.toml``; the grader names only its own codes (:data:`GRADER_CODES`): ``tampering``,
and the two mistakes its own checks see whatever the course (a call that changed its inputs, a
forbidden helper called), which a catalogue may explain in its own words. A test recognises a
mistake in one of two ways: structurally (a forbidden helper was called, an input changed,
the result does not depend on the parameters), or because the student's answer equals what a
known-wrong variant of the reference gives on the same inputs. Either way the failing test
carries the code, the report explains it, and results.json says it in the test's
`misconception` field. An entry may also list error texts (``errors``) that show its mistake
when student code raises them in one of its ``questions``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import ConfigError

CATALOGUE_FILE = "misconceptions.toml"
TAMPERING = "tampering"
CHANGED_INPUTS = "in_place_update"
FORBIDDEN_HELPER = "forbidden_api"


@dataclass(frozen=True)
class Misconception:
    code: str
    title: str
    explanation: str
    errors: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()


GRADER_CODES: dict[str, Misconception] = {
    TAMPERING: Misconception(
        TAMPERING,
        "the submission reached into the grader's code",
        "While this question ran, the submission used one of the doors that lead to the "
        "grader's own code beside it (stack frames, the garbage collector, ctypes, code "
        "objects, tracing, the grader's modules or the record channel), or changed a "
        "namespace that code relies on (the probes, the input guard, the library functions it "
        "calls). The answers of a process that did so cannot be trusted, so the whole "
        "question scores zero. Instructors: the test's message says which door and where; "
        "a submission that needs none of these for its homework has no reason to use them.",
    ),
    CHANGED_INPUTS: Misconception(
        CHANGED_INPUTS,
        "inputs changed in place",
        "Your function changed the tensors it was given (their values, requires_grad or "
        ".grad). Work on copies: x.detach().clone().requires_grad_(True).",
    ),
    FORBIDDEN_HELPER: Misconception(
        FORBIDDEN_HELPER,
        "a helper this question does not allow",
        "Your function called a ready-made helper that this question forbids: the question "
        "asks you to compute the result yourself. The test's message names the helper.",
    ),
}
"""The codes the grader itself gives, whatever the assignment."""

REWORDABLE = frozenset({CHANGED_INPUTS, FORBIDDEN_HELPER})
"""Grader codes a catalogue may explain in its own words (it knows why its helpers are
forbidden); tampering is explained by the grader alone."""


@dataclass(frozen=True)
class Catalogue:
    """One assignment's misconceptions, with the grader's own codes."""

    entries: dict[str, Misconception] = field(default_factory=lambda: dict(GRADER_CODES))

    def __contains__(self, code: object) -> bool:
        return code in self.entries

    def explain(self, code: str | None) -> Misconception | None:
        return self.entries.get(code) if code else None

    def recognise_error(self, question: str, message: str) -> str | None:
        """The code of a mistake that this student error shows, if any."""
        for entry in self.entries.values():
            if question in entry.questions and any(text in message for text in entry.errors):
                return entry.code
        return None

    @classmethod
    def load(cls, folder: Path, questions: set[str]) -> Catalogue:
        """Read `folder`/misconceptions.toml (none: the grader's codes only), naming the
        file and the entry of any bad value."""
        path = folder / CATALOGUE_FILE
        if not path.is_file():
            return cls()
        try:
            table = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        entries = dict(GRADER_CODES)
        for code, entry in table.items():
            entries[code] = _entry(code, entry, questions, path)
        return cls(entries)


def _entry(code: str, entry: object, questions: set[str], where: Path) -> Misconception:
    if code in GRADER_CODES and code not in REWORDABLE:
        raise ConfigError(f"{where}: [{code}] is the grader's own code; choose another name")
    if not code.isidentifier() or not isinstance(entry, dict):
        raise ConfigError(f"{where}: [{code}] must be a table named by a snake_case code")
    unknown = set(entry) - {"title", "explanation", "errors", "questions"}
    if unknown:
        raise ConfigError(f"{where}: [{code}] has unknown keys {sorted(unknown)}")
    texts = {}
    for key in ("title", "explanation"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: {code}.{key} must be a non-empty string")
        texts[key] = " ".join(value.split())
    lists = {}
    for key in ("errors", "questions"):
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{where}: {code}.{key} must be a list of non-empty strings")
        lists[key] = tuple(value)
    if strangers := sorted(set(lists["questions"]) - questions):
        raise ConfigError(f"{where}: {code}.questions names {strangers}, not questions of this assignment")
    if bool(lists["errors"]) != bool(lists["questions"]):
        raise ConfigError(f"{where}: {code} needs both errors and questions, or neither")
    return Misconception(code, texts["title"], texts["explanation"], lists["errors"], lists["questions"])


def explain(code: str | None, catalogue: Catalogue | None = None) -> Misconception | None:
    """What `code` means: in `catalogue`, else among the grader's own codes."""
    return (catalogue or Catalogue()).explain(code)
