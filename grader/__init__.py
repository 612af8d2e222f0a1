"""grader: a pytest-driven harness that teaches and grades PyTorch homework.

One submission's way is kept flat at this level: `cli` (the one edge), `grading` and `batch`
(one submission, many), `session` and `plugin` (pytest in the trusted process), `student`
and `worker_client` (the proxy to student code), `reference`, `feedback` and `testing` (what
a course's tests use). The machinery of each stage is a package:

- `course/`     an assignment on disk: configuration, misconception catalogue, late policy
- `intake/`     what students hand in, read as regular files only
- `gradebook/`  the SQLite store, the one definition of a total, regrades
- `outputs/`    every rendering of a graded batch (terminal, CSV, Canvas, Gradescope, ...)
- `sandbox/`    confinement, trusted half: bubblewrap, control groups, leased uids
- `worker/`     everything that runs beside student code; imports only `wire/`
- `wire/`       what both sides share: frames, protocol words, limits
- `authoring/`  a course author's tools: scaffold, notebooks, recorded expectations, validation
- `commands/`   one module per subcommand

Imports only go down these layers (tests/test_architecture.py). In a notebook,
``from grader import check`` then ``check("QUESTION")`` runs that question's public tests.
"""

from __future__ import annotations

from typing import Any

from grader.version import DISTRIBUTION, __version__

__all__ = ["DISTRIBUTION", "__version__", "check"]


def check(question: str | None = None, **options: Any) -> Any:
    """Grade this notebook's code on the public tests (see grader.jupyter.check)."""
    from grader.jupyter import check as check_notebook

    return check_notebook(question, **options)
