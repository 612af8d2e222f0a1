"""One pytest session per grader, collected once and kept open across submissions.

Starting pytest (configuration, plugins, collection, the final garbage collection) costs
about half a second; paid per submission it would dominate a batch. So the session runs in a
thread of its own, and its test loop waits for the next submission instead of ending: each
:meth:`PytestSession.grade` hands one over and waits until every collected test has run
against it. Student code is still only reached through the worker, never in this thread.
"""

from __future__ import annotations

import os
import queue
import threading
from pathlib import Path

import pytest

from grader.errors import ConfigError, GraderError
from grader.plugin import GradingPlugin, GradingSettings
from grader.submission_run import SubmissionRun


class PytestSession:
    """A pytest session in a background thread that grades one submission per request."""

    def __init__(self, settings: GradingSettings, test_paths: list[Path], rootdir: Path) -> None:
        self._test_paths = test_paths
        self._rootdir = rootdir
        self._requests: queue.Queue[SubmissionRun | None] = queue.Queue()
        self._plugin = GradingPlugin(settings, self._requests.get)
        self._thread = threading.Thread(target=self._main, name="grader-pytest", daemon=True)
        self._exit_code: int | pytest.ExitCode | None = None
        self._crash: BaseException | None = None

    def grade(self, run: SubmissionRun) -> None:
        """Run every collected test against `run`'s submission; fill in its results."""
        if not self._thread.is_alive() and self._exit_code is None and self._crash is None:
            self._thread.start()
        self._requests.put(run)
        while not run.finished.wait(0.5):
            if not self._thread.is_alive():
                raise self._ended()
        if run.error is not None:
            raise run.error

    def close(self) -> None:
        """Let the session end (its fixtures are torn down after every submission anyway)."""
        if self._thread.is_alive():
            self._requests.put(None)
            self._thread.join(timeout=10)

    def _main(self) -> None:
        args = [
            *map(str, self._test_paths),
            "-c",
            os.devnull,
            "--rootdir",
            str(self._rootdir),
            # Only the grader's own plugin: a plugin installed beside the grader (a student's,
            # say) has no part in a grade, and finding them reads every installed package.
            "--disable-plugin-autoload",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-p",
            "no:terminal",
            "-p",
            "no:logging",
            # Its clean-up runs a full garbage collection twice as the session ends:
            # about 0.1 s each with torch's objects in memory, for warnings nobody reads.
            "-p",
            "no:unraisableexception",
            "--capture=no",
            "--import-mode=importlib",
            "-W",
            "ignore::pytest.PytestAssertRewriteWarning",
        ]
        try:
            self._exit_code = pytest.main(args, plugins=[self._plugin])
        except BaseException as exc:  # noqa: BLE001 - reported to whoever waits for a run
            self._crash = exc

    def _ended(self) -> GraderError:
        """Why the session ended before grading the submission it was given."""
        plugin = self._plugin
        if plugin.config_error:
            return ConfigError(plugin.config_error)
        if plugin.collection_errors:
            return GraderError(
                "the tests could not be collected:\n" + "\n".join(plugin.collection_errors)[-3000:]
            )
        return GraderError(
            f"the test session ended unexpectedly ({self._crash!r} / exit code {self._exit_code})"
        )
