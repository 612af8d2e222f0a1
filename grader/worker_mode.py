"""Which worker the grader starts: the forking zygote, or the portable worker.

`grader.worker` (the zygote) forks a process per submission and per question from one that
has imported torch: the fastest, and the only one the sandbox supports. Fork is unavailable
on Windows and unsafe on macOS (a process that has imported torch and its thread pools must
not fork; Python itself no longer forks by default there), so there the grader starts
`grader.worker.portable`, which starts a fresh interpreter per question instead. On Linux,
`GRADER_WORKER=portable` chooses it (to test it, or where fork misbehaves);
`GRADER_WORKER=fork` insists on the zygote.
"""

from __future__ import annotations

import os
import sys

ENVIRONMENT = "GRADER_WORKER"
FORK, PORTABLE = "fork", "portable"
MODULES = {FORK: "grader.worker", PORTABLE: "grader.worker.portable"}


def fork_is_safe() -> bool:
    """Fork exists here and is safe after importing torch (not so on macOS)."""
    return hasattr(os, "fork") and sys.platform != "darwin"


def worker_mode(*, isolate: bool = False) -> str:
    """'fork' or 'portable': GRADER_WORKER if set, else fork only where it is safe. The
    sandbox (isolate) is Linux namespaces around forked processes: always the fork mode."""
    if isolate:
        return FORK
    chosen = os.environ.get(ENVIRONMENT, "").strip().lower()
    if chosen in MODULES:
        return chosen if chosen == PORTABLE or fork_is_safe() else PORTABLE
    return FORK if fork_is_safe() else PORTABLE


def worker_module(*, isolate: bool = False) -> str:
    """The module the grader runs as its worker (`python -m MODULE`)."""
    return MODULES[worker_mode(isolate=isolate)]
