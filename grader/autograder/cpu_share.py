"""How much CPU this container has: time limits are charged for it, not for a whole core.

Gradescope gives a submission 0.5 CPU by default, as a control group's quota. A correct
submission's call that takes 4 s on a core takes 8 s there: each time limit is divided by
the share, so what times out on a half CPU is what would time out on a whole one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def cpu_share(root: Path = CGROUP_ROOT, own: Path = Path("/proc/self/cgroup")) -> float:
    """The CPUs this process may use: the tightest quota on its groups, or its cores."""
    shares = [float(len(os.sched_getaffinity(0)))]
    try:
        lines = own.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            shares += _quotas(root / path.lstrip("/"), root, _v2_quota)
        elif "cpu" in controllers.split(","):
            folder = _v1_folder(root, controllers)
            if folder is not None:
                shares += _quotas(folder / path.lstrip("/"), folder, _v1_quota)
    return max(min(shares), 0.01)


def _quotas(folder: Path, top: Path, read: Callable[[Path], float | None]) -> list[float]:
    """Every quota from `folder` up to `top` (a parent's quota bounds its children)."""
    found = []
    while True:
        share = read(folder)
        if share is not None:
            found.append(share)
        if folder == top or top not in folder.parents:
            return found
        folder = folder.parent


def _v1_folder(root: Path, controllers: str) -> Path | None:
    for name in (controllers, "cpu,cpuacct", "cpu"):
        if (root / name / "cpu.cfs_quota_us").is_file():
            return root / name
    return None


def _v2_quota(folder: Path) -> float | None:
    try:
        quota, period = (folder / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def _v1_quota(folder: Path) -> float | None:
    try:
        quota = int((folder / "cpu.cfs_quota_us").read_text())
        period = int((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 or period <= 0 else quota / period
