"""A control group that stands in for Gradescope's container: a CPU quota and a memory limit.

Made for one `run_autograder` of a trial: v1 (cpu, cpuacct, memory, pids hierarchies) or v2,
under this process's own groups; it reports the time and peak memory of everything that ran
in it, kills whatever is left and is removed.
"""

from __future__ import annotations

import os
import signal
import time
from contextlib import suppress
from pathlib import Path

from grader.errors import GraderError

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000
MIB = 1024 * 1024


class TrialGroup:
    """A group with `cpus` CPUs and `memory_mib` of memory, swap counted where it can be."""

    def __init__(self, name: str, cpus: float, memory_mib: int, root: Path = ROOT) -> None:
        self.version = 2 if (root / "cgroup.controllers").is_file() else 1
        own = _own_paths()
        if self.version == 2:
            self.folders = {"unified": root / own.get("", "/").lstrip("/") / name}
        else:
            self.folders = {
                c: _v1_mount(root, c) / own.get(c, "/").lstrip("/") / name for c in _v1_controllers(root)
            }
        try:
            for folder in self.folders.values():
                folder.mkdir()
            self._limit(cpus, memory_mib)
        except OSError as exc:
            self.remove()
            raise GraderError(f"cannot make a control group for the trial ({exc}): run it as root") from None

    def _limit(self, cpus: float, memory_mib: int) -> None:
        quota, limit = str(int(cpus * PERIOD_US)), str(memory_mib * MIB)
        if self.version == 2:
            folder = self.folders["unified"]
            (folder / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            (folder / "memory.max").write_text(limit)
            _optional(folder / "memory.swap.max", "0")
            return
        (self.folders["cpu"] / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (self.folders["cpu"] / "cpu.cfs_quota_us").write_text(quota)
        (self.folders["memory"] / "memory.limit_in_bytes").write_text(limit)
        _optional(self.folders["memory"] / "memory.memsw.limit_in_bytes", limit)

    def procs_files(self) -> list[Path]:
        return [folder / "cgroup.procs" for _, folder in sorted(self.folders.items())]

    def peak_mib(self) -> float | None:
        name = ("unified", "memory.peak") if self.version == 2 else ("memory", "memory.max_usage_in_bytes")
        try:
            return int((self.folders[name[0]] / name[1]).read_text()) / MIB
        except (OSError, ValueError):
            return None

    def cpu_seconds(self) -> float | None:
        try:
            if self.version == 2:
                stat = dict(
                    line.split() for line in (self.folders["unified"] / "cpu.stat").read_text().splitlines()
                )
                return int(stat["usage_usec"]) / 1e6
            return int((self.folders.get("cpuacct", self.folders["cpu"]) / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError, KeyError):
            return None

    def oom_kills(self) -> int:
        name = ("unified", "memory.events") if self.version == 2 else ("memory", "memory.oom_control")
        try:
            for line in (self.folders[name[0]] / name[1]).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def remove(self) -> None:
        """Kill what is left in the group (child groups too), then remove it."""
        for folder in self.folders.values():
            for _ in range(50):
                pids = _pids(folder)
                if not pids and _remove_tree(folder):
                    break
                for pid in pids:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                time.sleep(0.1)


def _v1_controllers(root: Path) -> list[str]:
    """cpu, memory and pids; cpuacct too where it is a hierarchy of its own (its usage)."""
    separate = (root / "cpuacct").is_dir() and (root / "cpuacct").resolve() != (root / "cpu").resolve()
    return ["cpu", "memory", "pids", *(["cpuacct"] if separate else [])]


def _v1_mount(root: Path, controller: str) -> Path:
    for name in (controller, f"{controller},cpuacct", f"cpuacct,{controller}"):
        if (root / name).is_dir():
            return root / name
    raise GraderError(f"no cgroup v1 {controller} hierarchy under {root}")


def _own_paths() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            found[controller] = path
    return found


def _pids(folder: Path) -> list[int]:
    pids: list[int] = []
    for procs in folder.rglob("cgroup.procs"):
        try:
            pids += [int(p) for p in procs.read_text().split()]
        except (OSError, ValueError):
            continue
    return pids


def _remove_tree(folder: Path) -> bool:
    if not folder.exists():
        return True
    for child in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        try:
            child.rmdir()
        except OSError:
            return False
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


def _optional(path: Path, value: str) -> None:
    with suppress(OSError):
        path.write_text(value)
