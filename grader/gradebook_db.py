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
import sqlite3
from pathlib import Path
from typing import Iterable

from grader import __version__
from grader.results import SubmissionResult

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
    """A hash of a submission's bytes: a file's, or every file's in a folder with its name."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        digest.update(b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def folder_hash(folders: Iterable[Path]) -> str:
    """A hash of everything in the folders that define an assignment and its grading."""
    digest = hashlib.sha256()
    for folder in folders:
        for file in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(file.relative_to(folder)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


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
        """Replace whatever was recorded for this submission, all at once."""
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
                db.execute("ROLLBACK" if kind else "COMMIT")

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
