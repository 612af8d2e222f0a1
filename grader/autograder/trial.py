"""Try an autograder zip here, as Gradescope would run it, before uploading it.

The zip is unpacked into a Gradescope-like layout under a temporary root (`<root>/autograder`:
source, run_autograder, submission, submission_metadata.json, results), `setup.sh` runs once,
then `run_autograder` runs for each submission as root with Docker's default capabilities
only (`setpriv --bounding-set`) in a control group with Gradescope's default CPU and memory.
Each run's results.json is read back as a student would see it before and after the due date.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from grader.autograder.layout import ROOT_VARIABLE, Layout
from grader.autograder.trial_group import TrialGroup
from grader.errors import GraderError

DOCKER_CAPABILITIES = (
    "chown,dac_override,fowner,fsetid,kill,setgid,setuid,setpcap,net_bind_service,"
    "net_raw,sys_chroot,mknod,audit_write,setfcap"
)
"""What Docker leaves root in a container by default: no CAP_SYS_ADMIN, so no namespaces."""
REUSE_VARIABLE = "GRADER_SETUP_REUSE"
SETUP_SECONDS = 1800


@dataclass(frozen=True)
class TrialRun:
    """One submission through `run_autograder`: its results and what it cost."""

    submission: Path
    document: dict[str, Any]
    seconds: float
    cpu_seconds: float | None
    peak_mib: float | None
    oom_kills: int
    stdout: str


@contextmanager
def trial_root(keep: Path | None = None) -> Iterator[Layout]:
    """A fresh Gradescope-like root (removed afterwards unless `keep` names where to put it)."""
    folder = Path(tempfile.mkdtemp(prefix="gradescope-try-", dir=keep))
    folder.chmod(0o711)  # the unprivileged uid must reach the environment inside
    try:
        yield Layout(folder / "autograder")
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def unpack(zip_path: Path, layout: Layout) -> None:
    """Extract as Gradescope does: the zip's root becomes `source`; run_autograder is copied up."""
    layout.root.mkdir(mode=0o711)
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts:
                raise GraderError(f"{zip_path.name}: entry {info.filename!r} leaves the folder: refused")
            if info.is_dir():
                continue
            target = layout.source.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(info))
            target.chmod(0o755 if (info.external_attr >> 16) & 0o111 else 0o644)
    for script in ("setup.sh", "run_autograder"):
        if not (layout.source / script).is_file():
            raise GraderError(f"{zip_path.name}: no {script} at its root: not an autograder zip")
    shutil.copy2(layout.source / "run_autograder", layout.root / "run_autograder")


def run_setup(layout: Layout, *, reuse: str | None) -> str:
    """Run setup.sh as Gradescope's image build does; its last line, or a one-line error."""
    environment = _environment(layout)
    if reuse:
        environment[REUSE_VARIABLE] = reuse
    done = subprocess.run(
        [
            "setpriv",
            f"--bounding-set=-all,{_plus(DOCKER_CAPABILITIES)}",
            "--inh-caps=-all",
            "--",
            "bash",
            str(layout.source / "setup.sh"),
        ],
        cwd=layout.source,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SETUP_SECONDS,
    )
    lines = (done.stdout + done.stderr).strip().splitlines()
    if done.returncode != 0:
        raise GraderError(lines[-1] if lines else f"setup.sh failed with status {done.returncode}")
    return lines[-1] if lines else "setup done"


def run_submission(
    layout: Layout, submission: Path, metadata: dict[str, Any], *, cpus: float, memory_mib: int
) -> TrialRun:
    """Run `run_autograder` on one submission in a fresh container-like group."""
    _place_submission(layout, submission, metadata)
    group = TrialGroup(f"gradescope-try-{os.getpid()}-{time.monotonic_ns()}", cpus, memory_mib)
    try:
        joins = " ".join(f'echo $$ > "{procs}" &&' for procs in group.procs_files())
        argv = [
            "sh",
            "-c",
            f'{joins} exec setpriv --bounding-set=-all,{_plus(DOCKER_CAPABILITIES)} --inh-caps=-all -- "$0"',
            str(layout.root / "run_autograder"),
        ]
        started = time.monotonic()
        done = subprocess.run(argv, cwd=layout.root, env=_environment(layout), capture_output=True, text=True)
        seconds = time.monotonic() - started
        run = TrialRun(
            submission,
            read_results(layout),
            seconds,
            group.cpu_seconds(),
            group.peak_mib(),
            group.oom_kills(),
            done.stdout + done.stderr,
        )
    finally:
        group.remove()
    return run


def read_results(layout: Layout) -> dict[str, Any]:
    try:
        document: Any = json.loads(layout.results_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GraderError(f"run_autograder left no valid results.json ({exc})") from None
    if not isinstance(document, dict):
        raise GraderError("run_autograder's results.json is not a JSON object")
    return document


def gradescope_metadata(
    student_id: int, *, due_date: str = "2100-01-01T23:59:00.000000-08:00"
) -> dict[str, Any]:
    """A submission_metadata.json shaped as Gradescope writes it, for one student."""
    return {
        "id": student_id * 10 + 1,
        "created_at": "2026-12-01T12:00:00.000000-08:00",
        "assignment": {
            "due_date": due_date,
            "late_due_date": None,
            "title": "trial",
            "group_submission": False,
        },
        "submission_method": "upload",
        "users": [
            {"email": f"student{student_id}@example.edu", "id": student_id, "name": f"Student {student_id}"}
        ],
        "previous_submissions": [],
    }


def _place_submission(layout: Layout, submission: Path, metadata: dict[str, Any]) -> None:
    for stale in (layout.submission, layout.results):
        shutil.rmtree(stale, ignore_errors=True)
    layout.submission.mkdir()
    if submission.is_dir():
        shutil.copytree(submission, layout.submission, dirs_exist_ok=True, symlinks=True)
    else:
        shutil.copy2(submission, layout.submission / submission.name)
    layout.metadata.write_text(json.dumps(metadata, indent=2))


def _environment(layout: Layout) -> dict[str, str]:
    """What a container's root starts with: a plain PATH and the root of the layout."""
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "LANG": "C.UTF-8",
        ROOT_VARIABLE: str(layout.root),
    }


def _plus(names: str) -> str:
    return ",".join(f"+{name}" for name in names.split(","))
