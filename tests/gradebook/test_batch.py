"""Batch grading: parallel processes, a gradebook that survives a SIGKILL, shards that merge
into the unsharded gradebook, and every export rendered from it."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from junitparser import JUnitXml

from grader.cli import main
from grader.commands import grade as grade_module
from tests.conftest import ROOT, SUBMISSIONS, full_marks, module_group

pytestmark = module_group("gradebook-batch")

CORRECT = SUBMISSIONS / "second_order" / "correct_compact.py"
ZEROED = SUBMISSIONS / "second_order" / "zeroed_gradients.py"
FULL = full_marks("second_order")
FULL_SCORE = sum(FULL.values())
ZEROED_SCORE = FULL_SCORE - FULL["grads_without_zeroing"]  # ZEROED loses that question
EXPECTED = {"ann": FULL_SCORE, "ben": ZEROED_SCORE, "cat": FULL_SCORE, "dan": ZEROED_SCORE, "eve": FULL_SCORE}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch") / "submissions"
    folder.mkdir()
    for name, score in EXPECTED.items():
        shutil.copy(CORRECT if score == FULL_SCORE else ZEROED, folder / f"{name}.py")
    return folder


def grade_command(batch: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "grader",
        "grade",
        "second_order",
        str(batch),
        "--out",
        str(out),
        "--no-sandbox",
        *extra,
    ]


def recorded(out: Path) -> dict[str, float]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return dict(db.execute("SELECT id, score FROM submissions"))


def recorded_so_far(out: Path) -> dict[str, float]:
    """What a running batch has recorded; nothing while its gradebook is still being made."""
    try:
        return recorded(out)
    except sqlite3.OperationalError:  # the file exists, its tables not yet
        return {}


def results_of(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        return db.execute(
            "SELECT submission_id, nodeid, name, status, score FROM test_results "
            "ORDER BY submission_id, nodeid, name"
        ).fetchall()


@pytest.fixture(scope="module")
def interrupted_then_completed(batch, tmp_path_factory):
    """Kill a `--jobs 2` batch with SIGKILL once two submissions are in, then run it again."""
    out = tmp_path_factory.mktemp("killed")
    env = {**os.environ, "GRADER_ASSIGNMENTS": str(ROOT / "assignments")}
    process = subprocess.Popen(
        grade_command(batch, out, "--jobs", "2"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if (out / "gradebook.sqlite").exists() and len(recorded_so_far(out)) >= 2:
            break
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = recorded(out)
    rerun = subprocess.run(
        grade_command(batch, out, "--jobs", "2"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return {"out": out, "before": before, "rerun": rerun}


@pytest.mark.slow
def test_a_killed_batch_is_completed_without_duplicates(interrupted_then_completed):
    run = interrupted_then_completed
    assert 2 <= len(run["before"]) < len(EXPECTED)
    assert run["rerun"].returncode == 0, run["rerun"].stderr
    assert f"{len(run['before'])} submission(s) unchanged" in run["rerun"].stdout
    assert recorded(run["out"]) == pytest.approx(EXPECTED)
    with sqlite3.connect(run["out"] / "gradebook.sqlite") as db:
        assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == len(EXPECTED)
        duplicates = db.execute(
            "SELECT submission_id, nodeid, name, count(*) FROM test_results "
            "GROUP BY 1, 2, 3 HAVING count(*) > 1"
        ).fetchall()
        assert duplicates == []
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = {row["submission"]: row for row in csv.DictReader((run["out"] / "gradebook.csv").open())}
    assert {k: float(v["score"]) for k, v in rows.items()} == pytest.approx(EXPECTED)


@pytest.mark.slow
def test_shards_merge_into_the_unsharded_gradebook(batch, interrupted_then_completed, tmp_path, capsys):
    shards = []
    for index in (1, 2):
        out = tmp_path / f"shard{index}"
        assert (
            main(
                [
                    "grade",
                    "second_order",
                    str(batch),
                    "--out",
                    str(out),
                    "--no-sandbox",
                    "--jobs",
                    "1",
                    "--shard",
                    f"{index}/2",
                ]
            )
            == 0
        )
        shards.append(out)
    assert recorded(shards[0]) and recorded(shards[1])
    assert set(recorded(shards[0])).isdisjoint(recorded(shards[1]))
    merged = tmp_path / "merged"
    assert main(["merge", str(merged), *map(str, shards)]) == 0
    assert results_of(merged) == results_of(interrupted_then_completed["out"])
    assert (merged / "ann" / "results.json").is_file()


@pytest.mark.slow
def test_an_unchanged_batch_is_not_graded_again_unless_asked(
    batch, interrupted_then_completed, capsys, monkeypatch
):
    """What skipping saves: benchmarks/unchanged_batch.py."""
    out = interrupted_then_completed["out"]
    handed: list[str] = []
    grade_all = grade_module.grade_all
    monkeypatch.setattr(
        grade_module,
        "grade_all",
        lambda settings, todo, jobs: handed.extend(s.id for s in todo) or grade_all(settings, todo, jobs),
    )
    assert main(["grade", "second_order", str(batch), "--out", str(out), "--no-sandbox"]) == 0
    assert handed == []  # no submission was graded again
    assert f"{len(EXPECTED)} submission(s) unchanged" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["csv", "canvas", "junit", "markdown", "gradescope"])
def test_exports_render_from_the_gradebook(interrupted_then_completed, fmt, tmp_path, capsys):
    out = interrupted_then_completed["out"]
    target = tmp_path / ("export" if fmt == "gradescope" else f"export.{fmt}")
    assert main(["export", str(out), "--format", fmt, "--to", str(target)]) == 0
    if fmt == "csv":
        rows = list(csv.DictReader(target.open()))
        assert {r["submission"]: float(r["score"]) for r in rows} == pytest.approx(EXPECTED)
    elif fmt == "canvas":
        rows = list(csv.reader(target.open()))
        assert rows[0] == [
            "Student",
            "ID",
            "SIS User ID",
            "SIS Login ID",
            "Section",
            "Second-order derivatives with autograd",
        ]
        assert rows[1][-1] == f"{FULL_SCORE:g}" and ["", "", "", "ben", "", f"{ZEROED_SCORE:g}"] in rows
    elif fmt == "junit":
        suites = list(JUnitXml.fromfile(str(target)))
        assert len(suites) == len(EXPECTED)
        assert sum(s.failures for s in suites) == 2 * 6  # ben and dan fail 6 tests each
    elif fmt == "markdown":
        text = target.read_text()
        assert f"## second_order · ben: {ZEROED_SCORE:g}/{FULL_SCORE:g} points" in text
    else:
        assert sorted(p.parent.name for p in target.glob("*/results.json")) == sorted(EXPECTED)


@pytest.mark.slow
def test_show_rerenders_a_report_from_the_gradebook(interrupted_then_completed, capsys):
    out = interrupted_then_completed["out"]
    assert main(["show", str(out), "ben"]) == 0
    text = capsys.readouterr().out
    assert f"Score: {ZEROED_SCORE:g}/{FULL_SCORE:g}" in text and "zeroed_gradients" in text


def test_a_bad_shard_or_job_count_is_a_usage_error(capsys, batch, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", "second_order", str(batch), "--out", str(tmp_path), "--shard", "3/2"])
    assert exit_info.value.code == 2
    assert "K must be between 1 and N" in capsys.readouterr().err
    assert main(["grade", "second_order", str(batch), "--out", str(tmp_path), "--jobs", "0"]) == 2
