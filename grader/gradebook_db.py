"""The batch gradebook: an SQLite database that is the source of truth for a grading run.

One row per submission (content hash, assignment version, score, the full result) and one
row per test result. A submission is recorded in one transaction, so a run killed at any
moment loses at most the submissions in flight and never leaves half a submission behind;
re-running skips submissions whose content and assignment are unchanged. gradebook.csv,
results.json and every export are rendered from here.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sqlite3
import stat
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from grader import __version__
from grader.errors import SubmissionError
from grader.files import (MAX_FILE_BYTES, NOT_SUBMITTED, Entry, list_folder, lstat_entry,
                          read_capped)
from grader.results import SubmissionResult

MAX_HASHED_BYTES = 256 * 1024 * 1024
"""Past this much read, a submission's files stand in the hash by size and time, not bytes."""
MAX_TRUSTED_FILE_BYTES = 1 << 30
TRUSTED_ENTRIES = 1_000_000
"""An assignment's own folders are the instructor's: bounded only against mistakes."""

FILE_NAME = "gradebook.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    assignment TEXT NOT NULL,
    assignment_version TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    problem TEXT NOT NULL,
    execution_time REAL NOT NULL,
    graded_at TEXT NOT NULL,
    result_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS test_results (
    submission_id TEXT NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
    nodeid TEXT NOT NULL,
    question TEXT NOT NULL,
    name TEXT NOT NULL,
    visibility TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    status TEXT NOT NULL,
    misconception TEXT,
    seconds REAL NOT NULL,
    PRIMARY KEY (submission_id, nodeid, name)
);
"""


def content_hash(path: Path) -> str:
    """A hash of a submission as intake sees it: a file's bytes, or each file's in a folder
    with its name.

    It never raises, since it runs on every submission before any is graded: a link stands
    in it by the name it holds (never followed), a pipe or device by its kind, a file too
    large to read by its size and time, and a submission that cannot be listed by the reason,
    so that grading turns it into a zero row.
    """
    digest = hashlib.sha256()
    try:
        top = lstat_entry(path)
        entries = list_folder(path, skip=NOT_SUBMITTED) if top.is_dir else [top]
        budget = MAX_HASHED_BYTES
        for entry in entries:
            if not entry.is_dir:
                digest.update(str(entry.relative).encode("utf-8", "surrogateescape"))
                content, budget = _hashed_content(entry, budget)
                digest.update(b"\0" + content + b"\0")
    except (SubmissionError, OSError) as exc:  # an OSError: it changed while being read
        digest.update(b"unreadable\0" + str(exc).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _hashed_content(entry: Entry, budget: int) -> tuple[bytes, int]:
    """What stands for one entry in a submission's hash, and the bytes left to read."""
    if entry.is_link:
        return b"link\0" + os.fsencode(os.readlink(entry.path)), budget
    if not entry.is_file:
        return f"special\0{stat.S_IFMT(entry.mode)}".encode(), budget
    if entry.size <= min(budget, MAX_FILE_BYTES):
        try:
            data = read_capped(entry.path, min(budget, MAX_FILE_BYTES))
            return data, budget - len(data)
        except SubmissionError:
            pass  # changed since it was listed: its size and time below say so
    info = os.lstat(entry.path)
    return f"unread\0{info.st_size}\0{info.st_mtime_ns}".encode(), budget


def folder_hash(folders: Iterable[Path]) -> str:
    """A hash of everything in the folders that define an assignment and its grading."""
    digest = hashlib.sha256()
    for folder in folders:
        for relative, content in trusted_folder_contents(folder):
            digest.update(str(relative).encode("utf-8", "surrogateescape") + b"\0" + content)
    return digest.hexdigest()[:16]


def trusted_folder_contents(folder: Path) -> Iterator[tuple[PurePosixPath, bytes]]:
    """(relative path, content) of each file and link in one of an instructor's folders, in
    order, bytecode caches left out. A link stands by the name it holds; nothing is followed."""
    for entry in list_folder(folder, skip=("__pycache__",), max_entries=TRUSTED_ENTRIES):
        if entry.is_file:
            yield entry.relative, read_capped(entry.path, MAX_TRUSTED_FILE_BYTES)
        elif entry.is_link:
            yield entry.relative, b"link\0" + os.fsencode(os.readlink(entry.path))


class Gradebook:
    """The SQLite gradebook of one output folder."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.connection = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.connection.execute("PRAGMA journal_mode=WAL")
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute("PRAGMA foreign_keys=ON")
        self.connection.executescript(SCHEMA)

    @classmethod
    def in_folder(cls, folder: Path) -> "Gradebook":
        return cls(folder / FILE_NAME)

    def is_current(self, submission_id: str, digest: str, assignment_version: str) -> bool:
        row = self.connection.execute(
            "SELECT content_hash, assignment_version FROM submissions WHERE id = ?",
            (submission_id,)).fetchone()
        return row == (digest, assignment_version)

    def record(self, result: SubmissionResult, digest: str, assignment_version: str) -> None:
        """Replace whatever was recorded for this submission id, all at once.

        Ids never name two students (Canvas's keep the user id; a clash in one batch is
        refused before grading), so the row replaced is this student's own earlier one. A
        write that fails (sqlite3.Error: a full disk, a read-only folder) rolls back this
        submission only; every row recorded before it stays.
        """
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        with self._transaction() as db:
            db.execute("DELETE FROM test_results WHERE submission_id = ?", (result.submission_id,))
            db.execute("INSERT OR REPLACE INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?)", (
                result.submission_id, digest, result.assignment, assignment_version, __version__,
                result.score, result.max_score if result.tests else 0.0, result.problem,
                result.execution_time, now, json.dumps(result.to_dict())))
            db.executemany("INSERT INTO test_results VALUES (?,?,?,?,?,?,?,?,?,?)", [
                (result.submission_id, t.nodeid, t.question, t.name, t.visibility, t.score,
                 t.max_score, t.status, t.misconception, t.seconds) for t in result.tests])

    def _transaction(self) -> sqlite3.Connection:
        db = self.connection

        class _Transaction:
            def __enter__(self) -> sqlite3.Connection:
                db.execute("BEGIN IMMEDIATE")
                return db

            def __exit__(self, kind: object, *_: object) -> None:
                # SQLite may already have rolled back (a full disk); a COMMIT that fails leaves
                # the transaction open. Either way only this transaction is lost.
                try:
                    if not kind:
                        db.execute("COMMIT")
                finally:
                    if db.in_transaction:
                        db.execute("ROLLBACK")

        return _Transaction()  # type: ignore[return-value]

    def results(self) -> list[SubmissionResult]:
        rows = self.connection.execute("SELECT result_json FROM submissions ORDER BY id")
        return [SubmissionResult.from_dict(json.loads(row[0])) for row in rows]

    def merge_from(self, other: Path) -> int:
        """Copy every submission of another gradebook into this one; return how many."""
        self.connection.execute("ATTACH DATABASE ? AS other", (str(other),))
        try:
            with self._transaction() as db:
                ids = [row[0] for row in db.execute("SELECT id FROM other.submissions")]
                db.executemany("DELETE FROM test_results WHERE submission_id = ?",
                               [(i,) for i in ids])
                db.execute("INSERT OR REPLACE INTO submissions SELECT * FROM other.submissions")
                db.execute("INSERT INTO test_results SELECT * FROM other.test_results")
        finally:
            self.connection.execute("DETACH DATABASE other")
        return len(ids)

    def close(self) -> None:
        self.connection.close()
