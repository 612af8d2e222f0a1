"""CPU seconds spent by one command and everything it starts, whoever else uses the machine.

The grader's processes are not all children of the command (a fork server's are not), so
rusage misses some; the machine's own busy time (/proc/stat) misses nothing but counts
every other user too. A control group of the command's own counts exactly its processes:
each process it starts, at any depth, is born in it. cgroup v1's `cpuacct` hierarchy where
it is mounted and writable (the grader's own submission groups are `memory` and `pids`
there, so nothing leaves it), else v2's cpu.stat (the grader nests its groups inside the
group it runs in, so they are counted too), else the machine's busy time,
said so in `source`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Any

V1 = Path("/sys/fs/cgroup/cpuacct")
V2 = Path("/sys/fs/cgroup")


def machine_cpu() -> float:
    """CPU seconds this machine has spent busy so far, all processes together (/proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class CpuAccount:
    """A control group to run commands in, and the CPU seconds they have used in it."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.source = "the whole machine's busy time (/proc/stat): run on an idle machine"
        self._machine_start = machine_cpu()
        for parent, usage, label in (
            (V1, "cpuacct.usage", "cgroup v1 cpuacct"),
            (V2, "cgroup.controllers", "cgroup v2 cpu.stat"),
        ):
            if (parent / usage).is_file():
                folder = parent / f"grader-bench-{os.getpid()}-{id(self)}"
                try:
                    folder.mkdir()
                except OSError:
                    continue
                usage = "cpuacct.usage" if parent == V1 else "cpu.stat"
                if (folder / usage).is_file():
                    self.folder, self._usage, self.source = folder, usage, f"{label}, this run only"
                    break
                folder.rmdir()

    def popen(self, argv: list[str], **kwargs: Any) -> subprocess.Popen:
        """Start `argv` inside the group (it joins before it execs, so all it starts is in)."""
        if self.folder is None:
            return subprocess.Popen(argv, **kwargs)
        procs = str(self.folder / "cgroup.procs")

        def join() -> None:
            with open(procs, "w") as stream:
                stream.write("0")

        return subprocess.Popen(argv, preexec_fn=join, **kwargs)

    def enter(self) -> None:
        """Move this process into the group: every process it starts from now on is counted
        with it (close() moves it back out)."""
        if self.folder is not None:
            (self.folder / "cgroup.procs").write_text(str(os.getpid()))
            self._entered = True

    def run(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        with self.popen(argv, **kwargs) as process:
            stdout, stderr = process.communicate()
        return subprocess.CompletedProcess(argv, process.returncode, stdout, stderr)

    def seconds(self) -> float:
        """CPU seconds used in the group so far (or by the machine since this was made)."""
        if self.folder is None:
            return machine_cpu() - self._machine_start
        text = (self.folder / self._usage).read_text()
        if self._usage == "cpuacct.usage":
            return int(text) / 1e9
        fields = dict(line.split() for line in text.splitlines())
        return int(fields["usage_usec"]) / 1e6

    def close(self) -> None:
        """Remove the group (every process that ran in it has ended by now)."""
        if self.folder is not None:
            if getattr(self, "_entered", False):
                (self.folder.parent / "cgroup.procs").write_text(str(os.getpid()))
            with contextlib.suppress(OSError):
                self.folder.rmdir()

    def __enter__(self) -> CpuAccount:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
