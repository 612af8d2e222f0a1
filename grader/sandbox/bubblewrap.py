"""Run the student worker inside bubblewrap.

The sandbox sees a read-only system (/usr), the Python installation and environment, the
grader package, the assignment's public folder, and one writable folder holding only the
submission. It has its own PID, network, IPC and UTS namespaces, a private /tmp, no network,
and dies with the grader. The reference solution, the output folder and the gradebook are
simply not there, and neither are the recorded expectations (they serve `grader check`
only). Inside, each submission's process drops root for a uid of its own (leased from
:mod:`grader.sandbox.uid_pool`), so process limits hold and nothing outside its folder is writable,
then loads the seccomp filter of :mod:`grader.sandbox.seccomp` (no keyring, no new namespace,
no other process's memory), built here and handed to the worker on its command line.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from grader.course.assignment import Assignment
from grader.errors import GraderError
from grader.sandbox import seccomp
from grader.worker.memory import THP_SETTINGS
from grader.worker.namespaces import OLD_TMP

SLOT_INSIDE = Path("/grader-slot")
"""Where the sandbox sees its writable folder: outside /tmp, which each submission replaces."""
NAMESPACES = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
SYSTEM_LINKS = {"/lib": "usr/lib", "/lib64": "usr/lib64", "/bin": "usr/bin", "/sbin": "usr/sbin"}
NO_SANDBOX_HINT = "pass --no-sandbox to grade without it, on a machine you trust"


class Sandbox:
    """Builds the bubblewrap command line that wraps each worker."""

    def __init__(self, assignment: Assignment, bwrap: str) -> None:
        self.assignment = assignment
        self.bwrap = bwrap

    @classmethod
    def require(cls, assignment: Assignment) -> Sandbox:
        """A working sandbox, or a one-line error that says what to do."""
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise GraderError(
                "bubblewrap (bwrap) is not installed: install it "
                f"(apt-get install bubblewrap) or {NO_SANDBOX_HINT}"
            )
        if os.geteuid() != 0:
            raise GraderError(
                f"the sandbox needs root to give each submission its own uid; "
                f"run as root or {NO_SANDBOX_HINT}"
            )
        if reason := seccomp.available():
            raise GraderError(f"the sandbox's seccomp filter cannot be built: {reason}; or {NO_SANDBOX_HINT}")
        sandbox = cls(assignment, bwrap)
        sandbox.self_test()
        return sandbox

    def self_test(self) -> None:
        probe = subprocess.run(
            [self.bwrap, *NAMESPACES, "--ro-bind", "/", "/", "true"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if probe.returncode != 0:
            reason = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "failed"
            raise GraderError(f"bubblewrap cannot run here ({reason}); {NO_SANDBOX_HINT}")

    def launcher(self, folder: Path, binds: list[str] | None = None) -> Callable[[list[str]], list[str]]:
        """Return a function that wraps the warm worker's command line in the sandbox.

        `folder` is the only writable place: it holds one submission at a time. `binds`
        (bubblewrap's arguments) add the grader's control-group folders, where the zygote
        writes each submission's process into its group; a submission unmounts them.
        """
        keep = [f"--keep={f}" for f in self._read_only_folders() if f.is_relative_to("/tmp")]
        keep.append(f"--syscall-filter={seccomp.program().hex()}")  # loaded by each submission

        def wrap(argv: list[str]) -> list[str]:
            return [self.bwrap, *self.arguments(folder), *(binds or []), *argv, *keep]

        return wrap

    @staticmethod
    def give(workdir: Path, uid: int) -> None:
        """Hand a submission's folder to its uid, the only one that may read or write there."""
        os.chown(workdir, uid, uid)
        workdir.chmod(0o700)
        for path in workdir.rglob("*"):
            os.lchown(path, uid, uid)

    def arguments(self, workdir: Path) -> list[str]:
        """bubblewrap's arguments; `workdir` is the writable folder, seen at SLOT_INSIDE."""
        # The zygote keeps SYS_ADMIN to give each submission its own mount and PID
        # namespaces, and DAC_OVERRIDE and CHOWN to copy a submission's files onto its own
        # tmpfs; every submission process drops to its uid, which clears them all.
        args = [
            *NAMESPACES,
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--cap-add",
            "CAP_SETUID",
            "--cap-add",
            "CAP_SETGID",
            "--cap-add",
            "CAP_SYS_ADMIN",
            "--cap-add",
            "CAP_DAC_OVERRIDE",
            "--cap-add",
            "CAP_CHOWN",
            "--ro-bind",
            "/usr",
            "/usr",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--tmpfs",
            "/tmp",
        ]
        for link, target in SYSTEM_LINKS.items():
            if os.path.islink(link):
                args += ["--symlink", target, link]
        args += [
            "--ro-bind-try",
            "/etc/ld.so.cache",
            "/etc/ld.so.cache",
            "--ro-bind-try",
            THP_SETTINGS,
            THP_SETTINGS,
        ]
        for folder in self._read_only_folders():
            args += [*_parents(folder), "--ro-bind", str(folder), str(folder)]
        expectations = self.assignment.expectations_path
        if expectations.exists() and expectations.resolve().is_relative_to(self.assignment.folder.resolve()):
            args += ["--ro-bind", "/dev/null", str(expectations.resolve())]
        args += [
            "--bind",
            str(workdir),
            str(SLOT_INSIDE),
            "--chdir",
            str(SLOT_INSIDE),
            "--perms",
            "0700",
            "--dir",
            OLD_TMP,
        ]
        return args

    def _read_only_folders(self) -> list[Path]:
        package = Path(__file__).resolve().parents[1]  # grader/, which the worker imports
        folders = {
            Path(sys.base_prefix).resolve(),
            Path(sys.prefix).resolve(),
            package,
            self.assignment.folder.resolve(),
        }
        folders |= {Path(p).resolve() for p in site.getsitepackages() if Path(p).is_dir()}
        # Keep only the outermost folders: binding a folder inside a bound one is redundant.
        return sorted(f for f in folders if not any(f != o and f.is_relative_to(o) for o in folders))


def _parents(path: Path) -> list[str]:
    """Create each missing parent world-readable, so the unprivileged worker can reach it."""
    args: list[str] = []
    for parent in reversed(path.parents):
        if str(parent) not in ("/", "/usr", "/tmp", "/proc", "/dev"):
            args += ["--perms", "0755", "--dir", str(parent)]
    return args
