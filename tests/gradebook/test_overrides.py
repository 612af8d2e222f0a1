"""An instructor's overrides: recorded with who, when and why, validated, shown in the exports,
kept through a regrade of the whole batch and of one question, and removable."""

from __future__ import annotations

import csv
import datetime
import getpass
import io
import json
import shutil
import sqlite3

import pytest

from grader.cli import main
from grader.gradebook.load import load_batch
from grader.gradebook.store import Gradebook
from grader.outputs.registry import render
from tests.conftest import full_marks, module_group
from tests.course_copy import CORRECT, ZEROED, copy_course, grade, hand_in

pytestmark = [pytest.mark.slow, module_group("overrides")]

QUESTION = "grads_without_zeroing"
QUESTION_FULL = full_marks("second_order")[QUESTION]
REASON = "explained in office hours: the zeroing was right in spirit"


def override(out, *arguments: str) -> int:
    return main(["override", str(out), *arguments])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """ben (gradients zeroed: loses grads_without_zeroing) overridden to 12 by prof, then the
    batch regraded in full and then for that one question."""
    root = tmp_path_factory.mktemp("overrides")
    assignment = copy_course(root)
    submissions = hand_in(root / "submissions", {"ann": CORRECT, "ben": ZEROED})
    out = root / "out"
    assert grade(assignment, submissions, out) == 0
    before = load_batch(out).by_id()["ben"]
    assert override(out, "ben", QUESTION, "12", "--reason", REASON, "--by", "prof") == 0
    overridden = load_batch(out).by_id()["ben"]
    exports = {fmt: render(fmt, load_batch(out)) for fmt in ("csv", "canvas", "gradescope")}
    written = (out / "gradebook.csv").read_text()
    report = (out / "report.html").read_text()
    assert grade(assignment, submissions, out, "--regrade") == 0
    after_full = load_batch(out).by_id()["ben"]
    assert grade(assignment, submissions, out, "--question", QUESTION) == 0
    after_question = load_batch(out).by_id()["ben"]
    return {
        "root": root,
        "out": out,
        "before": before,
        "overridden": overridden,
        "exports": exports,
        "written": written,
        "report": report,
        "after_full": after_full,
        "after_question": after_question,
    }


def test_an_override_replaces_the_questions_points_with_who_when_and_why(graded):
    before, now = graded["before"], graded["overridden"]
    assert before.points(QUESTION) < 12 and before.override_of(QUESTION) is None
    made = now.override_of(QUESTION)
    assert made is not None and (made.points, made.reason, made.by) == (12, REASON, "prof")
    at = datetime.datetime.fromisoformat(made.at)
    assert at.utcoffset() == datetime.timedelta(0)
    assert abs(datetime.datetime.now(datetime.UTC) - at) < datetime.timedelta(hours=1)
    assert now.points(QUESTION) == 12 and now.graded_points(QUESTION) == before.points(QUESTION)
    assert now.total == pytest.approx(before.total + 12 - before.points(QUESTION))


def test_the_exports_show_the_override(graded):
    standing = graded["overridden"]
    for text in (graded["exports"]["csv"]["gradebook.csv"], graded["written"]):
        rows = {row["submission"]: row for row in csv.DictReader(io.StringIO(text))}
        assert float(rows["ben"][QUESTION]) == 12 and rows["ben"]["overridden"] == QUESTION
        assert float(rows["ben"]["score"]) == pytest.approx(standing.total)
        assert rows["ann"]["overridden"] == ""
    canvas = list(csv.reader(io.StringIO(graded["exports"]["canvas"]["canvas.csv"])))
    assert [float(row[5]) for row in canvas if row[3] == "ben"] == [pytest.approx(standing.total)]
    results = json.loads(graded["exports"]["gradescope"]["ben/results.json"])
    assert results["score"] == pytest.approx(standing.total)
    assert REASON in json.dumps(results["extra_data"]) and "prof" in json.dumps(results["extra_data"])
    assert REASON in graded["report"]  # OUT's class report, rendered again by the override


def test_an_override_survives_a_regrade_of_the_batch_and_of_its_question(graded):
    for key in ("after_full", "after_question"):
        standing = graded[key]
        assert standing.override_of(QUESTION) == graded["overridden"].override_of(QUESTION), key
        assert standing.points(QUESTION) == 12, key
        assert standing.graded_points(QUESTION) == graded["before"].points(QUESTION), key
        assert standing.total == pytest.approx(graded["overridden"].total), key


def test_overrides_lists_them(graded, capsys):
    capsys.readouterr()
    assert main(["overrides", str(graded["out"])]) == 0
    listed = capsys.readouterr().out
    assert "ben" in listed and QUESTION in listed and "prof" in listed and "office hours" in listed
    assert "ann" not in listed


def test_the_login_name_is_who_by_default(graded, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    assert override(out, "ann", "hvp", "3", "--reason", "late file, agreed") == 0
    assert load_batch(out).by_id()["ann"].override_of("hvp").by == getpass.getuser()


def test_remove_restores_the_tests_points(graded, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    assert override(out, "ben", QUESTION, "--remove") == 0
    standing = load_batch(out).by_id()["ben"]
    assert standing.override_of(QUESTION) is None
    assert standing.points(QUESTION) == graded["before"].points(QUESTION)
    assert standing.total == pytest.approx(graded["before"].total)
    rows = {row["submission"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["ben"]["overridden"] == "" and float(rows["ben"]["score"]) == standing.total
    capsys.readouterr()
    assert main(["overrides", str(out)]) == 0
    assert "no overrides" in capsys.readouterr().out


@pytest.mark.parametrize(
    "arguments, says",
    [
        (["zed", QUESTION, "3", "--reason", "r"], "no submission 'zed' in"),
        (["ben", "hvpp", "3", "--reason", "r"], "unknown question 'hvpp' in second_order: choose from"),
        (
            ["ben", QUESTION, f"{QUESTION_FULL + 1:g}", "--reason", "r"],
            f"{QUESTION_FULL + 1:g} points is outside 0..{QUESTION_FULL:g} for {QUESTION}",
        ),
        (["ben", QUESTION, "-1", "--reason", "r"], f"-1 points is outside 0..{QUESTION_FULL:g}"),
        (["ben", QUESTION, "3"], "say why with --reason TEXT"),
        (["ben", QUESTION, "3", "--reason", "  "], "say why with --reason TEXT"),
        (["ben", QUESTION], "give the points"),
        (["ben", QUESTION, "3", "--remove"], "give POINTS or --remove, not both"),
        (["ann", QUESTION, "--remove"], "ann has no override of " + QUESTION + " to remove"),
    ],
)
def test_a_bad_override_is_one_line_and_changes_nothing(graded, capsys, arguments, says):
    out = graded["out"]
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        before = db.execute("SELECT * FROM overrides ORDER BY 1, 2").fetchall()
    capsys.readouterr()
    assert override(out, *arguments) != 0
    error = capsys.readouterr().err
    assert says in error and error.count("\n") == 1, error
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("SELECT * FROM overrides ORDER BY 1, 2").fetchall() == before


def test_points_that_are_not_a_number_or_a_folder_without_a_gradebook(tmp_path, capsys):
    assert override(tmp_path, "ben", QUESTION, "3", "--reason", "r") != 0
    assert "holds no gradebook.sqlite" in capsys.readouterr().err
    assert not (tmp_path / "gradebook.sqlite").exists()
    with pytest.raises(SystemExit):
        override(tmp_path, "ben", QUESTION, "lots", "--reason", "r")
    assert "invalid points 'lots'" in capsys.readouterr().err


def test_merging_shards_keeps_their_overrides(graded, tmp_path):
    merged = Gradebook.in_folder(tmp_path / "merged")
    try:
        merged.merge_from(graded["out"] / "gradebook.sqlite")
    finally:
        merged.close()
    standing = load_batch(tmp_path / "merged").by_id()["ben"]
    assert standing.override_of(QUESTION) == graded["overridden"].override_of(QUESTION)
    assert standing.total == pytest.approx(graded["overridden"].total)
