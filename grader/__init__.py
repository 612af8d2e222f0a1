"""grader: a pytest-driven harness that teaches and grades PyTorch homework.

One submission's way is kept flat at this level: `cli` (the one edge), `grading` and `batch`
(one submission, many), `session` and `plugin` (pytest in the trusted process), `student`
and `worker_client` (the proxy to student code), `head_start` (its worker started before the
grader is imported), `reference`, `feedback`, `current_test`, `leaderboard` and `testing` (what
a course's tests use). The machinery of each stage is a package:

- `course/`     an assignment on disk: configuration, misconception catalogue, late policy
- `intake/`     what students hand in, read as regular files only
- `gradebook/`  the SQLite store, the one definition of a total, regrades
- `outputs/`    every rendering of a graded batch (terminal, CSV, Canvas, Gradescope, ...)
- `sandbox/`    confinement, trusted half: bubblewrap, control groups, leased uids
- `worker/`     everything that runs beside student code; imports only `wire/`
- `wire/`       what both sides share: frames, protocol words, limits
- `authoring/`  a course author's tools: scaffold, notebooks, recorded expectations, validation
- `watch/`      `grader check --watch`: one warm grader that checks again on every save
- `commands/`   one module per subcommand

Imports only go down these layers (tests/test_architecture.py), and they go at the top of a
module: one inside a function is only for what is slow to import and not always needed (torch,
matplotlib, nbformat/nbconvert, the commands in cli.py, and what this file offers, since every
``import grader.…`` runs it, the worker's too), or for what must wait until a process is started
(`grader check` imports the grader once its worker is starting: see `head_start`), never to
hide a cycle.

In a notebook, ``from grader import check`` then ``check("QUESTION")`` runs that question's
public tests.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DISTRIBUTION", "__version__", "check"]


def __getattr__(name: str) -> Any:
    """`grader.__version__` and `grader.DISTRIBUTION`, read from grader.version on first use."""
    if name in ("DISTRIBUTION", "__version__"):
        from grader import version

        return getattr(version, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check(question: str | None = None, **options: Any) -> Any:
    """Grade this notebook's code on the public tests (see grader.jupyter.check)."""
    from grader.jupyter import check as check_notebook

    return check_notebook(question, **options)
