"""Where things are in Gradescope's container: /autograder, or a stand-in root for a trial.

`run_autograder` and `setup.sh` read the root from AUTOGRADER_ROOT (default /autograder), so
the same zip runs at the real path on Gradescope and under a temporary folder here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path("/autograder")
ROOT_VARIABLE = "AUTOGRADER_ROOT"


@dataclass(frozen=True)
class Layout:
    """The paths Gradescope defines, and the ones `setup.sh` adds under the same root."""

    root: Path

    @classmethod
    def from_environment(cls) -> Layout:
        return cls(Path(os.environ.get(ROOT_VARIABLE) or DEFAULT_ROOT))

    @property
    def source(self) -> Path:
        """The zip, extracted (holds the reference: only root may read it)."""
        return self.root / "source"

    @property
    def submission(self) -> Path:
        return self.root / "submission"

    @property
    def metadata(self) -> Path:
        return self.root / "submission_metadata.json"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def results_json(self) -> Path:
        return self.results / "results.json"

    @property
    def venv(self) -> Path:
        """The Python environment `setup.sh` made: torch, the grader and its dependencies."""
        return self.root / "venv"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def public(self) -> Path:
        """The assignment's student-facing half, readable by the uid student code runs as."""
        return self.root / "public"

    @property
    def reference(self) -> Path:
        return self.source / "course" / "reference"

    @property
    def course_assignments(self) -> Path:
        return self.source / "course" / "assignments"

    @property
    def settings(self) -> Path:
        return self.source / "autograder.json"
