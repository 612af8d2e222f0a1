"""The batch gradebook: an SQLite database that is the source of truth for a grading run.

One row per submission (content hash, assignment version, score, the full result), one
row per test result, and the assignment version that graded each question. A submission is
recorded in one transaction, so a run killed at any moment loses at most the submissions in
flight and never leaves half a submission behind; re-running skips submissions whose content
and assignment are unchanged. The instructor's adjustments live in tables of their own, so
that no regrade touches them: overrides (who, when, why), submission times and extensions.
gradebook.csv, results.json and every export are rendered from here (grader.gradebook.standing).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from grader.errors import GraderError
from grader.gradebook.standing import Override
from grader.results import SubmissionResult
from grader.version import __version__

FILE_NAME = "gradebook.sqlite"
FROM_EXPORT = "gradescope"
"""The source of submission times read from an LMS export (an instructor's file wins)."""
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
CREATE TABLE IF NOT EXISTS question_versions (
    submission_id TEXT NOT NULL,
    question TEXT NOT NULL,
    assignment_version TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, question)
);
CREATE TABLE IF NOT EXISTS overrides (
    submission_id TEXT NOT NULL,
    question TEXT NOT NULL,
    points REAL NOT NULL,
    reason TEXT NOT NULL,
    made_by TEXT NOT NULL,
    made_at TEXT NOT NULL,
    PRIMARY KEY (submission_id, question)
);
CREATE TABLE IF NOT EXISTS submission_times (
    submission_id TEXT PRIMARY KEY,
    submitted_at TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS extensions (
    submission_id TEXT PRIMARY KEY,
    extra_days REAL NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batch (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
ADJUSTMENTS = ("question_versions", "overrides", "submission_times", "extensions", "batch")
"""Tables beside the graded submissions, copied by a merge. None refers to submissions, so a
regrade (which replaces a submission's row) keeps them."""


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


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
    def in_folder(cls, folder: Path) -> Gradebook:
        return cls(folder / FILE_NAME)

    def is_current(self, submission_id: str, digest: str, assignment_version: str) -> bool:
        row = self.connection.execute(
            "SELECT content_hash, assignment_version FROM submissions WHERE id = ?", (submission_id,)
        ).fetchone()
        return bool(row == (digest, assignment_version))

    def record(
        self,
        result: SubmissionResult,
        digest: str,
        assignment_version: str,
        questions: Iterable[str] | None = None,
    ) -> None:
        """Replace whatever was recorded for this submission id, all at once.

        Ids never name two students (Canvas's keep the user id; a clash in one batch is
        refused before grading), so the row replaced is this student's own earlier one. A
        write that fails (sqlite3.Error: a full disk, a read-only folder) rolls back this
        submission only; every row recorded before it stays. `questions` are those this
        grading ran when it ran only some (`grader grade --question`): each is marked graded
        by this version, and the others keep the version that graded them. Without them, every
        question in the result is marked graded by this version.
        """
        now = _now()
        graded = list(
            dict.fromkeys(questions if questions is not None else (t.question for t in result.tests))
        )
        with self._transaction() as db:
            if questions is None:
                db.execute("DELETE FROM question_versions WHERE submission_id = ?", (result.submission_id,))
            db.executemany(
                "INSERT OR REPLACE INTO question_versions VALUES (?,?,?,?)",
                [(result.submission_id, q, assignment_version, now) for q in graded],
            )
            db.execute("DELETE FROM test_results WHERE submission_id = ?", (result.submission_id,))
            db.execute(
                "INSERT OR REPLACE INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    result.submission_id,
                    digest,
                    result.assignment,
                    assignment_version,
                    __version__,
                    result.score,
                    result.max_score if result.tests else 0.0,
                    result.problem,
                    result.execution_time,
                    now,
                    json.dumps(result.to_dict()),
                ),
            )
            db.executemany(
                "INSERT INTO test_results VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        result.submission_id,
                        t.nodeid,
                        t.question,
                        t.name,
                        t.visibility,
                        t.score,
                        t.max_score,
                        t.status,
                        t.misconception,
                        t.seconds,
                    )
                    for t in result.tests
                ],
            )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back when it raises.

        SQLite may already have rolled back (a full disk); a COMMIT that fails leaves the
        transaction open. Either way only this transaction is lost."""
        db = self.connection
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        finally:
            if db.in_transaction:
                db.execute("ROLLBACK")

    def results(self) -> list[SubmissionResult]:
        rows = self.connection.execute("SELECT result_json FROM submissions ORDER BY id")
        return [SubmissionResult.from_dict(json.loads(row[0])) for row in rows]

    def result_of(self, submission_id: str) -> SubmissionResult | None:
        row = self.connection.execute(
            "SELECT result_json FROM submissions WHERE id = ?", (submission_id,)
        ).fetchone()
        return SubmissionResult.from_dict(json.loads(row[0])) if row else None

    def recorded_hashes(self) -> dict[str, str]:
        """Each recorded submission's content hash, by id."""
        return dict(self.connection.execute("SELECT id, content_hash FROM submissions"))

    def question_versions(self) -> dict[str, dict[str, str]]:
        """The assignment version that last graded each question, by submission id."""
        versions: dict[str, dict[str, str]] = {}
        for submission_id, question, version in self.connection.execute(
            "SELECT submission_id, question, assignment_version FROM question_versions "
            "ORDER BY submission_id, rowid"
        ):
            versions.setdefault(submission_id, {})[question] = version
        return versions

    def set_override(self, submission_id: str, override: Override) -> None:
        """Record an instructor's points for a question, replacing an earlier override of it."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO overrides VALUES (?,?,?,?,?,?)",
                (
                    submission_id,
                    override.question,
                    override.points,
                    override.reason,
                    override.by,
                    override.at,
                ),
            )

    def remove_override(self, submission_id: str, question: str) -> bool:
        """Remove an override; whether there was one."""
        with self._transaction() as db:
            cursor = db.execute(
                "DELETE FROM overrides WHERE submission_id = ? AND question = ?", (submission_id, question)
            )
            return cursor.rowcount > 0

    def overrides(self) -> dict[str, list[Override]]:
        """Every override, by submission id, in the order they were made."""
        found: dict[str, list[Override]] = {}
        for submission_id, question, points, reason, by, at in self.connection.execute(
            "SELECT submission_id, question, points, reason, made_by, made_at FROM overrides "
            "ORDER BY submission_id, made_at, question"
        ):
            found.setdefault(submission_id, []).append(Override(question, points, reason, by, at))
        return found

    def set_submission_times(self, times: Mapping[str, datetime.datetime], source: str) -> None:
        """When submissions came in (ISO 8601, kept with their offset), and where that was read.

        A time an instructor gave (a file) wins over an LMS export's, in any later run too."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO submission_times VALUES (?,?,?) ON CONFLICT(submission_id) DO UPDATE "
                "SET submitted_at = excluded.submitted_at, source = excluded.source "
                "WHERE excluded.source != ? OR submission_times.source = ?",
                [(key, when.isoformat(), source, FROM_EXPORT, FROM_EXPORT) for key, when in times.items()],
            )

    def submission_times(self) -> dict[str, datetime.datetime]:
        return {
            key: datetime.datetime.fromisoformat(when)
            for key, when in self.connection.execute(
                "SELECT submission_id, submitted_at FROM submission_times"
            )
        }

    def set_extensions(self, extensions: Mapping[str, float], source: str) -> None:
        """The extensions file is the whole list: it replaces every earlier extension."""
        with self._transaction() as db:
            db.execute("DELETE FROM extensions")
            db.executemany(
                "INSERT INTO extensions VALUES (?,?,?)",
                [(key, days, source) for key, days in extensions.items()],
            )

    def extensions(self) -> dict[str, float]:
        return dict(self.connection.execute("SELECT submission_id, extra_days FROM extensions"))

    def set_assignment_folder(self, folder: Path) -> None:
        """Where the graded assignment is, so that outputs read its policy from that folder."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO batch VALUES ('assignment_folder', ?)", (str(folder),))

    def assignment_folder(self) -> Path | None:
        row = self.connection.execute("SELECT value FROM batch WHERE key = 'assignment_folder'").fetchone()
        return Path(row[0]) if row else None

    def merge_from(self, other: Path) -> int:
        """Copy every submission of another gradebook into this one; return how many."""
        self.connection.execute("ATTACH DATABASE ? AS other", (str(other),))
        try:
            with self._transaction() as db:
                ids = [row[0] for row in db.execute("SELECT id FROM other.submissions")]
                db.executemany("DELETE FROM test_results WHERE submission_id = ?", [(i,) for i in ids])
                db.execute("INSERT OR REPLACE INTO submissions SELECT * FROM other.submissions")
                db.execute("INSERT INTO test_results SELECT * FROM other.test_results")
                for table in ADJUSTMENTS:
                    db.execute(f"INSERT OR REPLACE INTO {table} SELECT * FROM other.{table}")
        finally:
            self.connection.execute("DETACH DATABASE other")
        return len(ids)

    def close(self) -> None:
        self.connection.close()


@contextlib.contextmanager
def output_errors(out: Path) -> Iterator[None]:
    """Turn a failed write under `out` (a full disk, a quota, a read-only folder) into one line
    that says what to do; what is recorded already stays recorded."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise GraderError(
            f"cannot write to {out} ({why}): free space there (or choose another "
            "--out) and run the same command again; every submission recorded "
            "so far is kept"
        ) from None


def open_gradebook(out: Path) -> Gradebook:
    """The gradebook in `out`, or one line saying why it cannot be opened there."""
    with output_errors(out):
        return Gradebook.in_folder(out)


def open_existing(out: Path) -> Gradebook:
    """OUT's gradebook, which must exist: an override never starts a new one."""
    if not (out / FILE_NAME).is_file():
        raise GraderError(f"{out} holds no {FILE_NAME}: give the folder `grader grade --out` wrote")
    return Gradebook.in_folder(out)
