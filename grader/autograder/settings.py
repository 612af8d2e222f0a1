"""The autograder's settings, chosen when the zip is built and read in every container."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from grader.errors import GraderError

VISIBILITIES = ("visible", "after_due_date", "after_published", "hidden")
HIDDEN_VISIBILITIES = ("after_due_date", "after_published", "hidden")
"""What a hidden test may be set to: never `visible`, which would show it before the deadline."""
SETTINGS_FILE = "autograder.json"


@dataclass(frozen=True)
class AutograderSettings:
    """What one zip grades and how: the assignment, when hidden tests show, the container's size."""

    assignment: str
    hidden_visibility: str = "after_due_date"
    timeout_seconds: int = 600
    """Gradescope's limit for one submission (10 minutes by default, up to 40)."""
    memory_mib: int = 768
    cpus: float = 0.5
    grader_version: str = ""

    def __post_init__(self) -> None:
        if self.hidden_visibility not in HIDDEN_VISIBILITIES:
            raise GraderError(
                f"invalid hidden test visibility {self.hidden_visibility!r}: "
                f"choose from {', '.join(HIDDEN_VISIBILITIES)}"
            )
        if not 60 <= self.timeout_seconds <= 40 * 60:
            raise GraderError(
                f"invalid timeout {self.timeout_seconds} s: Gradescope allows 60 to 2400 seconds"
            )
        if self.memory_mib < 256:
            raise GraderError(f"invalid memory {self.memory_mib} MiB: give at least 256")
        if not 0.1 <= self.cpus <= 64:
            raise GraderError(f"invalid CPU share {self.cpus}: give 0.1 to 64")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def read(cls, path: Path) -> AutograderSettings:
        """The settings the zip was built with, or a one-line error naming the file."""
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise GraderError(f"{path}: cannot be read ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("assignment"), str):
            raise GraderError(f"{path}: not the settings of an autograder (no assignment named)")
        known = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except TypeError as exc:
            raise GraderError(f"{path}: {exc}") from None
