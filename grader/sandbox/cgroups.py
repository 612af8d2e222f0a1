"""A control group per submission: all its processes share one memory, process and CPU limit.

Each worker process has its own address-space limit, but a submission may start many
processes; together they could ask for more than the machine has, and the kernel's
out-of-memory killer would then pick any victim (the grading process, another student's
worker). As IOI's `isolate` does per box, each submission therefore runs in a control group
of its own:

- the grading process (trusted, root) makes a folder of its own in its current group of each
  hierarchy (``grader-<pid>-<start time>``), and in it one group per submission, with the
  memory limit (swap counted where the kernel allows) and a process limit set before the
  submission's first process starts;
- the submission's first process (forked by the zygote) writes itself into the group before
  it does anything else; everything it starts is then inside. In the sandbox the grader's
  folders are bound at :data:`INSIDE`, and each submission unmounts them from its own mount
  namespace once it has joined;
- when the submission ends, whatever is left in its group is killed and the group removed;
  folders left by a grading process that was killed are removed by the next one to start.

The CPU controller (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``) gives each submission at most
its share of the host (one CPU by default), however many processes it starts, and the group's
own counter (v2 ``cpu.stat``, v1 ``cpuacct.usage``) is what its time limits are charged to
(:mod:`grader.sandbox.time_limit`): CPU that others take never counts against it.

Version 2 is used where its memory and pids controllers are enabled, version 1 (``memory``
and ``pids`` hierarchies, with ``cpu`` and ``cpuacct`` where mounted) otherwise; with neither,
:func:`open_cgroups` says why, in one line, and grading goes on with the per-process limits
only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024
PREFIX = "grader-"
INSIDE = Path("/grader-cgroup")
"""Where the sandbox sees the grading process's folders (one per hierarchy)."""
MOUNTINFO = Path("/proc/self/mountinfo")
OWN_GROUPS = Path("/proc/self/cgroup")
V1_CONTROLLERS = ("memory", "pids")
V1_CPU = ("cpu", "cpuacct")
"""Optional in v1: a group without them still limits memory and processes."""
CPUS = 1.0
"""Each submission's share of the host, in CPUs."""
CPU_PERIOD_US = 100_000


@dataclass(frozen=True)
class SubmissionGroup:
    """One submission's group: a folder per hierarchy (one in v2, memory and pids in v1)."""

    version: int
    folders: dict[str, Path]  # hierarchy name ("unified", "memory", "pids") -> host folder
    inside: dict[str, Path]  # the same folders where the worker sees them
    memory_mib: int
    processes: int
    sandboxed: bool = True
    cpus: float | None = None
    """The CPUs its processes may use together (its quota); None: no quota."""
    _gone: list[bool] = field(default_factory=lambda: [False])

    @property
    def memory(self) -> Path:
        return self.folders["unified" if self.version == 2 else "memory"]

    def join_request(self) -> dict[str, list[str]]:
        """What the `submission` request says: the files to write itself into, and (in the
        sandbox) the mounts to hide once it has."""
        folders = self.inside if self.sandboxed else self.folders
        hide = sorted(str(INSIDE / name) for name in self.folders) if self.sandboxed else []
        return {"join": [str(folders[name] / "cgroup.procs") for name in sorted(folders)], "hide": hide}

    def oom_kills(self) -> int:
        """How many of its processes the kernel has killed for the group's memory limit."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            text = (self.memory / name).read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
        return 0

    def cpu_seconds(self) -> float | None:
        """The CPU time all its processes have used, as the kernel counts it for the group
        (those that ended included); None where no hierarchy counts it."""
        if self.version == 2:
            return _v2_usage(self.folders["unified"] / "cpu.stat")
        for name in V1_CPU:
            if name in self.folders:
                try:
                    return int((self.folders[name] / "cpuacct.usage").read_text()) / 1e9
                except (OSError, ValueError):
                    continue
        return None

    def peak_bytes(self) -> int | None:
        """The group's own high-water mark of memory (all its processes together)."""
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        try:
            return int((self.memory / name).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def remove(self, seconds: float = 10.0) -> None:
        """Kill whatever is left in the group (only what is in it), then remove it."""
        if self._gone[0]:
            return
        for folder in self.folders.values():
            _kill_and_remove(folder, seconds)
        self._gone[0] = True


class Cgroups:
    """This grading process's folders, one per hierarchy; a group in each per submission."""

    def __init__(
        self,
        version: int,
        parents: dict[str, Path],
        memory_mib: int,
        processes: int,
        sandboxed: bool = True,
        *,
        cpus: float = CPUS,
    ) -> None:
        self.version = version
        self.sandboxed = sandboxed  # the worker sees the folders at INSIDE, not where they are
        self.parents = parents  # hierarchy name -> this process's folder on the host
        self.memory_mib = memory_mib
        self.processes = processes
        self.cpus = min(cpus, _v1_share(parents)) if _has_cpu_controller(version, parents) else None
        self._count = 0

    @property
    def description(self) -> str:
        names = "+".join(sorted(self.parents)) if self.version == 1 else ""
        kind = "v2" if self.version == 2 else f"v1 {names}"
        cpu = (
            f"at most {self.cpus:g} CPU; time limits count its own CPU time"
            if self.cpus is not None
            else f"no CPU controller ({self._why_no_cpu()}): time limits count its own CPU "
            "time, but it may use every core"
        )
        return (
            f"control group per submission (cgroup {kind}): {self.memory_mib} MiB for all "
            f"its processes together, at most {self.processes} processes, {cpu}"
        )

    def _why_no_cpu(self) -> str:
        if self.version == 2:
            return "v2 cpu controller not enabled"
        return "no cpu hierarchy mounted" if "cpuacct" in self.parents else "no cpu or cpuacct hierarchy"

    def bind_arguments(self) -> list[str]:
        """bubblewrap's arguments that show this process's folders at :data:`INSIDE`."""
        args: list[str] = []
        for name, folder in sorted(self.parents.items()):
            args += ["--bind", str(folder), str(INSIDE / name)]
        return args

    def group(self) -> SubmissionGroup:
        """A fresh group for the next submission, its limits set, no process in it yet."""
        self._count += 1
        name = f"s{self._count}"
        folders = {hierarchy: parent / name for hierarchy, parent in self.parents.items()}
        group = SubmissionGroup(
            self.version,
            folders,
            {h: INSIDE / h / name for h in folders},
            self.memory_mib,
            self.processes,
            self.sandboxed,
            self.cpus,
        )
        try:
            for folder in folders.values():
                _kill_and_remove(folder, 5.0)  # a leftover of this name cannot be reused
                folder.mkdir()
            self._limit(group)
        except BaseException:
            group.remove()
            raise
        return group

    def _limit(self, group: SubmissionGroup) -> None:
        limit = str(self.memory_mib * MIB)
        if self.version == 2:
            folder = group.folders["unified"]
            _write(folder / "memory.max", limit)
            _write_optional(folder / "memory.swap.max", "0")  # swap counts: none is allowed
            _write(folder / "pids.max", str(self.processes))
            _write_optional(folder / "memory.oom.group", "0")
            if self.cpus is not None:
                _write(folder / "cpu.max", f"{self._quota_us()} {CPU_PERIOD_US}")
            return
        _write(group.folders["memory"] / "memory.limit_in_bytes", limit)
        # memory+swap no more than memory alone: swap counts toward the same limit
        _write_optional(group.folders["memory"] / "memory.memsw.limit_in_bytes", limit)
        _write(group.folders["pids"] / "pids.max", str(self.processes))
        if self.cpus is not None:
            _write(group.folders["cpu"] / "cpu.cfs_period_us", str(CPU_PERIOD_US))
            _write(group.folders["cpu"] / "cpu.cfs_quota_us", str(self._quota_us()))

    def _quota_us(self) -> int:
        return max(int((self.cpus or CPUS) * CPU_PERIOD_US), 1000)

    def close(self) -> None:
        """Remove this process's folders (every submission's group is already gone)."""
        for folder in self.parents.values():
            for child in _children(folder):
                _kill_and_remove(child, 5.0)
            _kill_and_remove(folder, 5.0)


def open_cgroups(
    memory_mib: int, processes: int, *, sandboxed: bool = True, root: Path | None = None, cpus: float = CPUS
) -> tuple[Cgroups | None, str]:
    """This process's cgroups for its submissions, v2 if usable, else v1; or None and the
    one line that says why grading goes on with per-process limits only."""
    if os.geteuid() != 0:
        return None, "no control group per submission (not root): per-process limits only"
    mounts = _mounts()
    own = _own_groups()
    reasons = []
    for version in (2, 1):
        try:
            parents = _make_parents(version, mounts, own, root)
        except OSError as exc:
            reasons.append(f"v{version}: {exc.strerror or exc}")
            continue
        return Cgroups(version, parents, memory_mib, processes, sandboxed, cpus=cpus), ""
    return None, ("no control group per submission (" + "; ".join(reasons) + "): per-process limits only")


def _make_parents(
    version: int, mounts: dict[str, Path], own: dict[str, str], root: Path | None
) -> dict[str, Path]:
    names = ["unified"] if version == 2 else list(V1_CONTROLLERS)
    homes = {}
    for name in names:
        if name not in mounts or name not in own:
            raise OSError(errno.ENOENT, f"no {name} hierarchy mounted")
        homes[name] = (root / name if root else mounts[name]) / own[name].lstrip("/")
    if version == 2:
        enabled = (homes["unified"] / "cgroup.controllers").read_text().split()
        if not {"memory", "pids"} <= set(enabled):
            raise OSError(errno.ENOTSUP, "memory and pids controllers not enabled")
    parents: dict[str, Path] = {}
    try:
        for name, home in homes.items():
            parents[name] = _make_parent(home)
            if version == 2:
                # its children get the controllers (this folder never holds a process)
                _enable(home, parents[name])
        if version == 1:
            for name, home in _v1_cpu_homes(mounts, own, root).items():
                with contextlib.suppress(OSError):  # optional: memory and pids hold without
                    parents[name] = _make_parent(home)
    except BaseException:
        for parent in parents.values():
            _kill_and_remove(parent, 2.0)
        raise
    return parents


def _make_parent(home: Path) -> Path:
    """This grading process's folder in `home`, once the leftovers of dead ones are gone."""
    remove_leftovers(home)
    parent = home / f"{PREFIX}{os.getpid()}-{_start_time(os.getpid())}"
    parent.mkdir(exist_ok=True)
    return parent


def _v1_cpu_homes(mounts: dict[str, Path], own: dict[str, str], root: Path | None) -> dict[str, Path]:
    """This process's group in the v1 cpu and cpuacct hierarchies, where they are mounted
    (once where they share one hierarchy); a writable one is checked as the folder is made."""
    homes: dict[str, Path] = {}
    for name in V1_CPU:
        if name in mounts and name in own and mounts[name] not in {mounts.get(h) for h in homes}:
            homes[name] = (root / name if root else mounts[name]) / own[name].lstrip("/")
    return homes


def _enable(home: Path, parent: Path) -> None:
    offered = (home / "cgroup.controllers").read_text().split()
    for folder in (home, parent):
        have = (folder / "cgroup.subtree_control").read_text().split()
        if "cpu" in offered and "cpu" not in have:  # optional: without it no quota, a counter still
            _write_optional(folder / "cgroup.subtree_control", "+cpu")
        if not {"memory", "pids"} <= set(have):
            _write(folder / "cgroup.subtree_control", "+memory +pids")


def _has_cpu_controller(version: int, parents: dict[str, Path]) -> bool:
    """Whether the groups made in `parents` get a CPU quota."""
    if version == 1:
        return "cpu" in parents and (parents["cpu"] / "cpu.cfs_quota_us").is_file()
    try:
        return "cpu" in (parents["unified"] / "cgroup.subtree_control").read_text().split()
    except OSError:
        return False


def _v1_share(parents: dict[str, Path]) -> float:
    """The tightest quota above this process's v1 cpu folder, in CPUs (a half-CPU container's
    0.5): the kernel refuses a group a larger quota than its parent's."""
    folder = parents.get("cpu")
    share = float("inf")
    while folder is not None and (folder / "cpu.cfs_quota_us").is_file():
        try:
            quota = int((folder / "cpu.cfs_quota_us").read_text())
            period = int((folder / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            break
        if quota > 0 and period > 0:
            share = min(share, quota / period)
        folder = folder.parent if folder.parent != folder else None
    return share


def _v2_usage(stat: Path) -> float | None:
    """usage_usec of a v2 group's cpu.stat, in seconds."""
    try:
        text = stat.read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec" and value.strip().isdigit():
            return int(value) / 1e6
    return None


def remove_leftovers(home: Path) -> list[Path]:
    """Remove the folders of grading processes that are gone (killed before they could),
    with anything still inside them; a live process's folder is left alone."""
    removed = []
    for folder in _children(home):
        if not folder.name.startswith(PREFIX):
            continue
        pid, _, start = folder.name[len(PREFIX) :].partition("-")
        if pid.isdigit() and _start_time(int(pid)) == start:
            continue  # its grading process is alive
        for child in _children(folder):
            _kill_and_remove(child, 5.0)
        _kill_and_remove(folder, 5.0)
        removed.append(folder)
    return removed


def _kill_and_remove(folder: Path, seconds: float) -> None:
    """SIGKILL every process in `folder` (a group), then remove it; waits for them to go."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno not in (errno.EBUSY, errno.ENOTEMPTY) or time.monotonic() > deadline:
                raise
        for child in _children(folder):  # a group made inside (v2: by nobody we allowed)
            _kill_and_remove(child, max(deadline - time.monotonic(), 0.1))
        if not _write_optional(folder / "cgroup.kill", "1"):
            for pid in _pids(folder):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)


def _pids(folder: Path) -> list[int]:
    try:
        return [int(line) for line in (folder / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _children(folder: Path) -> list[Path]:
    try:
        return [entry for entry in folder.iterdir() if entry.is_dir() and not entry.is_symlink()]
    except OSError:
        return []


def _write(path: Path, value: str) -> None:
    with open(path, "w") as stream:
        stream.write(value)


def _write_optional(path: Path, value: str) -> bool:
    try:
        _write(path, value)
        return True
    except OSError:
        return False


def _start_time(pid: int) -> str:
    """A process's start time in clock ticks since boot (tells a reused pid apart)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rpartition(")")[2].split()[19]


def _mounts() -> dict[str, Path]:
    """Where each cgroup hierarchy is mounted: "unified" (v2), or v1 controller names."""
    found: dict[str, Path] = {}
    try:
        lines = MOUNTINFO.read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split()
        if " - " not in line or fields[3] != "/":
            continue  # a bind of part of a hierarchy: not where its root is
        kind, _, options = line.partition(" - ")[2].split()[:3]
        point = Path(fields[4].replace("\\040", " "))
        if kind == "cgroup2":
            found.setdefault("unified", point)
        elif kind == "cgroup":
            for option in options.split(","):
                if option in V1_CONTROLLERS + V1_CPU:
                    found.setdefault(option, point)
    return found


def _own_groups() -> dict[str, str]:
    """This process's group in each hierarchy ("unified" for v2)."""
    found: dict[str, str] = {}
    try:
        lines = OWN_GROUPS.read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        number, controllers, path = line.split(":", 2)
        if number == "0" and controllers == "":
            found["unified"] = path
        for controller in controllers.split(","):
            if controller in V1_CONTROLLERS + V1_CPU:
                found[controller] = path
    return found


def describe(memory_mib: int, processes: int) -> str:
    """One line for `grader grade` to open with: which control groups its submissions get,
    or why none (made and removed at once, as a probe)."""
    cgroups, reason = open_cgroups(memory_mib, processes)
    if cgroups is None:
        return f"{reason}; no CPU controller: time limits count its processes' CPU time from /proc"
    try:
        return cgroups.description
    finally:
        cgroups.close()
