"""Tests marked with one `xdist_group` run on one xdist worker, one after another.

pytest-xdist's own `--dist loadgroup` carries the mark to its scheduler by appending "@group"
to each test's node id, which pytest 9.2 no longer lets a plugin change: the marks are then
silently ignored, and a group's tests spread over every worker (pytest-xdist issue #1386).
This plugin groups without touching node ids. The controller names a folder
(GRADER_XDIST_GROUPS) before it starts the workers; each worker writes there the groups its
collection found; the controller's scheduler, xdist's LoadScopeScheduling, then makes each
group one unit of work and every other test a unit of its own. Without xdist it does nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

ENVIRONMENT = "GRADER_XDIST_GROUPS"
"""The folder the controller names for its workers' groups; the workers inherit it."""


def pytest_configure(config: pytest.Config) -> None:
    if _grouping(config) and not os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ[ENVIRONMENT] = tempfile.mkdtemp(prefix="xdist-groups-")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _grouping(config) and not os.environ.get("PYTEST_XDIST_WORKER"):
        shutil.rmtree(os.environ.pop(ENVIRONMENT, ""), ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    worker, folder = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get(ENVIRONMENT)
    if not worker or not folder:
        return
    groups = {item.nodeid: group for item in items if (group := group_of(item))}
    written = Path(folder) / f"{worker}.json"
    partial = written.with_suffix(".partial")
    partial.write_text(json.dumps(groups))
    partial.replace(written)  # whole before the worker reports its collection


def group_of(item: pytest.Item) -> str | None:
    """The name of the item's closest `xdist_group` mark, if it has one."""
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return None
    return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if not _grouping(config):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class MarkedGroupScheduling(LoadScopeScheduling):
        """xdist's scope scheduling, a test's scope being its group, or the test itself."""

        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # first asked once every worker has collected
                self.groups = _written_groups()
            group = self.groups.get(nodeid)
            return f"xdist_group {group}" if group else nodeid

    return MarkedGroupScheduling(config, log)


def _written_groups() -> dict[str, str]:
    groups: dict[str, str] = {}
    for written in sorted(Path(os.environ[ENVIRONMENT]).glob("*.json")):
        groups.update(json.loads(written.read_text()))
    return groups


def _grouping(config: pytest.Config) -> bool:
    return bool(config.getoption("dist", default="no") == "loadgroup")
