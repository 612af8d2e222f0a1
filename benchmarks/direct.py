"""Serve the `student` fixture in the test process itself, the way course scripts do.

The benchmark's baseline and floor run the grader's own tests with the student's module
imported beside them: no worker, no sandbox, no isolation. Requests go through the worker's
own request handler, so the tests see exactly the replies the worker would give.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.captured_output import CapturedOutput
from grader.wire.module_files import import_file
from grader.worker import question as worker


class DirectPool:
    """Stands in for :class:`grader.worker_client.SubmissionWorkers`, in this process.

    `seconds` adds up the time inside the student's functions alone (the worker's
    `student_seconds`), for the floor.
    """

    def __init__(self, module_path: Path, module_name: str, probes_path: Path) -> None:
        probes = import_file("grader_probes", str(probes_path))
        calls = worker.TrustedCalls.bind(probes, write_record=lambda record: None)
        self._state = worker.Question(calls)
        worker.handle(self._state, {"op": "load", "path": str(module_path), "module": module_name})
        self.output = CapturedOutput()
        self.seconds = 0.0
        self.late_tampering: dict[str, str] = {}  # no relay here: nothing is recorded

    def request(self, message: dict[str, Any], seconds: float, during: str, question: str) -> dict[str, Any]:
        reply = worker.handle(self._state, message)
        self.seconds += reply.get("student_seconds", 0.0)
        return reply

    def close(self) -> None:
        pass
