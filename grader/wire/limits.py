"""Resource limits for a student worker, set on itself before any student code runs."""

from __future__ import annotations

import argparse
import sys
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

    def apply(self, *, where_available: bool = False) -> list[str]:
        """Set every limit. With `where_available` (the portable worker), a limit the platform
        lacks (Windows has no `resource` module; macOS refuses some) is skipped, not an
        error; the limits skipped are returned. Time limits are the grader's, everywhere."""
        try:
            import resource  # POSIX only: imported here, so that this module loads anywhere
        except ImportError:
            if not where_available:
                raise
            return ["all (no resource module)"]
        skipped = []
        for name, value in (
            ("RLIMIT_AS", self.memory_mib * MIB),
            ("RLIMIT_CPU", self.cpu_seconds),
            ("RLIMIT_FSIZE", self.file_size_mib * MIB),
            ("RLIMIT_NOFILE", self.open_files),
            ("RLIMIT_NPROC", self.processes),
            ("RLIMIT_CORE", 0),
        ):
            which = getattr(resource, name, None)
            try:
                if which is None:
                    raise ValueError(f"no {name} here")
                self._set(resource, which, value)
            except (ValueError, OSError):
                if not where_available or sys.platform.startswith("linux") and which is not None:
                    raise
                skipped.append(name)
        return skipped

    @staticmethod
    def _set(resource: object, which: int, value: int) -> None:
        _, hard = resource.getrlimit(which)  # type: ignore[attr-defined]
        if hard != resource.RLIM_INFINITY:  # type: ignore[attr-defined]
            value = min(value, hard)
        resource.setrlimit(which, (value, value))  # type: ignore[attr-defined]

    def as_arguments(self) -> list[str]:
        return [
            f"--memory-mib={self.memory_mib}",
            f"--cpu-seconds={self.cpu_seconds}",
            f"--file-size-mib={self.file_size_mib}",
            f"--open-files={self.open_files}",
            f"--processes={self.processes}",
        ]

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        defaults = ResourceLimits()
        for name in ("memory_mib", "cpu_seconds", "file_size_mib", "open_files", "processes"):
            parser.add_argument("--" + name.replace("_", "-"), type=int, default=getattr(defaults, name))

    @classmethod
    def from_arguments(cls, options: argparse.Namespace) -> ResourceLimits:
        return cls(
            options.memory_mib,
            options.cpu_seconds,
            options.file_size_mib,
            options.open_files,
            options.processes,
        )
