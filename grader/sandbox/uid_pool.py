"""One uid per submission, never shared by two submissions alive at once on this host.

Each sandboxed submission runs as a uid of its own, so nothing of one (a process, a file in
a folder it can write) is reachable from the next. Uids are leased with a lock file per uid,
as IOI's `isolate` allocates its boxes: every grading process on the host (two batches at
once, shards) draws from the same folder, and a lease ends with the process that held it,
however it ends. A uid that still owns a process is skipped.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from grader.errors import GraderError

FIRST_UID = 61000
COUNT = 4000
LOCKS = "/run/lock/grader-uids"
"""Where the lock files live; GRADER_UID_LOCKS names another folder (every grading process
that must not collide has to use the same one)."""


@contextmanager
def lease_uid(locks: Path | None = None) -> Iterator[int]:
    """A uid no other submission on this host holds, for as long as the block runs."""
    import fcntl  # POSIX only, as is the sandbox that leases uids: the grader loads anywhere

    folder = _lock_folder(locks or lock_folder())
    busy = _uids_with_processes()
    start = random.randrange(COUNT)
    for offset in range(COUNT):
        uid = FIRST_UID + (start + offset) % COUNT
        if uid in busy:
            continue
        fd = os.open(folder / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.close(fd)  # releases the lock
        return
    raise GraderError(
        f"all {COUNT} sandbox uids are in use on this host: wait for other "
        "batches to finish, or remove stray processes of uids "
        f"{FIRST_UID}-{FIRST_UID + COUNT - 1}"
    )


def lock_folder() -> Path:
    return Path(os.environ.get("GRADER_UID_LOCKS", LOCKS))


def leased_uids(locks: Path) -> set[int]:
    """Every uid ever leased from `locks` (their lock files stay)."""
    return {int(p.stem) for p in locks.glob("*.lock") if p.stem.isdigit()}


def _lock_folder(locks: Path) -> Path:
    for folder in (locks, Path("/tmp/grader-uids")):
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.geteuid():
                return folder
        except OSError:
            continue
    raise GraderError(
        f"cannot create the uid lock folder {locks}: set GRADER_UID_LOCKS to a folder this user owns"
    )


def _uids_with_processes() -> set[int]:
    """Uids that own a process now (a leftover of a grader that was killed)."""
    found = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with suppress(OSError, ValueError, IndexError):
                found.add(_real_uid(entry.path))
    return found


def _real_uid(process: str) -> int:
    """A process's real uid, from its status: /proc/PID itself belongs to root when the
    process is not dumpable (every worker process, and anything that dropped to its uid)."""
    with open(os.path.join(process, "status")) as stream:
        for line in stream:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    raise ValueError(f"{process}/status has no Uid line")
