"""`grader grade --question Q`: after a test of Q changes, only Q's results change; every other
test's row is kept byte for byte, and the gradebook says which version graded each question."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from grader.gradebook.load import load_batch
from grader.intake.fingerprint import folder_hash
from tests.conftest import full_marks, module_group
from tests.course_copy import CORRECT, ZEROED, copy_course, grade, hand_in

pytestmark = [pytest.mark.slow, module_group("regrade-question")]

QUESTION = "hvp"
QUESTION_FULL = full_marks("second_order")[QUESTION]
FAILING_TEST = '''

@pytest.mark.question("hvp")
def test_hvp_checked_again():
    """hvp, checked again once the test was fixed"""
    assert False, "this check fails for every submission"
'''


def snapshot(out: Path) -> dict:
    """Everything the gradebook holds per test, per submission and per question."""
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = {
            row[:3]: row for row in db.execute("SELECT submission_id, question, name, * FROM test_results")
        }
        results = {
            key: json.loads(text) for key, text in db.execute("SELECT id, result_json FROM submissions")
        }
        scores = dict(db.execute("SELECT id, score FROM submissions"))
        versions = {
            row[:2]: row[2]
            for row in db.execute("SELECT submission_id, question, assignment_version FROM question_versions")
        }
    return {"rows": rows, "results": results, "scores": scores, "versions": versions}


@pytest.fixture(scope="module")
def regraded(tmp_path_factory):
    """A batch graded, one hidden test of QUESTION added, then `--question QUESTION`."""
    root = tmp_path_factory.mktemp("regrade")
    assignment = copy_course(root)
    reference = root / "reference" / "second_order"
    submissions = hand_in(root / "submissions", {"ann": CORRECT, "ben": ZEROED})
    out = root / "out"
    assert grade(assignment, submissions, out) == 0
    before, old_version = snapshot(out), folder_hash([assignment, reference])
    hidden = reference / "tests" / "test_hidden.py"
    hidden.write_text(hidden.read_text() + FAILING_TEST)
    assert grade(assignment, submissions, out, "--question", QUESTION) == 0
    return {
        "root": root,
        "assignment": assignment,
        "submissions": submissions,
        "out": out,
        "before": before,
        "after": snapshot(out),
        "old": old_version,
        "new": folder_hash([assignment, reference]),
    }


def test_only_the_regraded_questions_rows_change(regraded):
    before, after = regraded["before"]["rows"], regraded["after"]["rows"]
    kept = {key: row for key, row in before.items() if key[1] != QUESTION}
    assert kept and {key: row for key, row in after.items() if key[1] != QUESTION} == kept
    old = {key for key in before if key[1] == QUESTION}
    new = {key for key in after if key[1] == QUESTION}
    assert old < new and any("checked again" in key[2] for key in new - old)


def test_other_questions_results_are_kept_exactly(regraded):
    for student, result in regraded["before"]["results"].items():
        now = regraded["after"]["results"][student]
        assert [t for t in now["tests"] if t["question"] != QUESTION] == [
            t for t in result["tests"] if t["question"] != QUESTION
        ]
        assert {k: v for k, v in now.items() if k != "tests"} == {
            k: v for k, v in result.items() if k != "tests"
        }


def test_the_regraded_question_scores_what_the_changed_test_gives(regraded):
    batch = load_batch(regraded["out"])
    for standing in batch.standings:
        student = standing.submission_id
        tests = [t for t in regraded["after"]["results"][student]["tests"] if t["question"] == QUESTION]
        assert tests[-1]["status"] == "failed"
        earned = sum(t["score"] for t in tests)
        assert earned < QUESTION_FULL and standing.points(QUESTION) == pytest.approx(earned)
        lost = (
            sum(
                t["score"]
                for t in regraded["before"]["results"][student]["tests"]
                if t["question"] == QUESTION
            )
            - earned
        )
        assert lost > 0
        assert regraded["after"]["scores"][student] == pytest.approx(
            regraded["before"]["scores"][student] - lost
        )


def test_the_version_that_graded_each_question_is_recorded(regraded):
    old, new = regraded["old"], regraded["new"]
    assert old != new
    assert set(regraded["before"]["versions"].values()) == {old}
    for (student, question), version in regraded["after"]["versions"].items():
        assert version == (new if question == QUESTION else old), (student, question)
    standing = load_batch(regraded["out"]).by_id()["ann"]
    assert standing.version_of(QUESTION) == new and standing.version_of("hessian") == old


def test_after_a_question_regrade_the_batch_counts_as_graded(regraded, capsys):
    capsys.readouterr()
    assert grade(regraded["assignment"], regraded["submissions"], regraded["out"]) == 0
    assert "2 submission(s) unchanged" in capsys.readouterr().out
    assert snapshot(regraded["out"])["rows"] == regraded["after"]["rows"]


@pytest.mark.parametrize(
    "change, says",
    [
        ("new", "1 are not graded yet (cat): grade them without --question first"),
        ("changed", "1 are changed since they were graded (ben): grade them without --question"),
    ],
)
def test_a_question_regrade_refuses_submissions_it_would_mix(regraded, tmp_path, capsys, change, says):
    submissions = hand_in(tmp_path / "submissions", {"ann": CORRECT, "ben": ZEROED})
    if change == "new":
        (submissions / "cat.py").write_text(CORRECT.read_text())
    else:
        (submissions / "ben.py").write_text(CORRECT.read_text())
    before = snapshot(regraded["out"])
    capsys.readouterr()
    assert grade(regraded["assignment"], submissions, regraded["out"], "--question", QUESTION) != 0
    error = capsys.readouterr().err
    assert says in error and error.count("\n") == 1
    assert snapshot(regraded["out"]) == before


def test_an_unknown_question_is_one_line_listing_them(regraded, capsys):
    capsys.readouterr()
    assert grade(regraded["assignment"], regraded["submissions"], regraded["out"], "--question", "hvpp") != 0
    error = capsys.readouterr().err
    assert "unknown question 'hvpp'" in error and "choose from first_order_grads" in error
    assert error.count("\n") == 1
