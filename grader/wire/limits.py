"""Resource limits for a student worker, set on itself before any student code runs."""

from __future__ import annotations

import argparse
import resource
from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class ResourceLimits:
    """Hard limits (soft = hard, so student code cannot raise them back)."""

    memory_mib: int = 2048
    cpu_seconds: int = 900
    file_size_mib: int = 64
    open_files: int = 256
    processes: int = 64

    def apply(self) -> None:
        self._set(resource.RLIMIT_AS, self.memory_mib * MIB)
        self._set(resource.RLIMIT_CPU, self.cpu_seconds)
        self._set(resource.RLIMIT_FSIZE, self.file_size_mib * MIB)
        self._set(resource.RLIMIT_NOFILE, self.open_files)
        self._set(resource.RLIMIT_NPROC, self.processes)
        self._set(resource.RLIMIT_CORE, 0)

    @staticmethod
    def _set(which: int, value: int) -> None:
        _, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))

    def as_arguments(self) -> list[str]:
        return [f"--memory-mib={self.memory_mib}", f"--cpu-seconds={self.cpu_seconds}",
                f"--file-size-mib={self.file_size_mib}", f"--open-files={self.open_files}",
                f"--processes={self.processes}"]

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        defaults = ResourceLimits()
        for name in ("memory_mib", "cpu_seconds", "file_size_mib", "open_files", "processes"):
            parser.add_argument("--" + name.replace("_", "-"), type=int,
                                default=getattr(defaults, name))

    @classmethod
    def from_arguments(cls, options: argparse.Namespace) -> "ResourceLimits":
        return cls(options.memory_mib, options.cpu_seconds, options.file_size_mib,
                   options.open_files, options.processes)
