"""The `grader` command as its users meet it: reports, exit codes, files, one-line errors."""

from __future__ import annotations

import csv
import json
import re
import shutil

import pytest

from grader.cli import main
from grader.commands import check, ci, export, grade, merge, new, record, release, show, validate
from tests.conftest import ASSIGNMENTS, REFERENCE, SUBMISSIONS, full_marks, public_marks

FULL = full_marks("second_order")
FULL_SCORE = sum(FULL.values())
PUBLIC_SCORE = sum(public_marks("second_order").values())


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def student_copy(tmp_path):
    def place(source, name="second_order.py"):
        target = tmp_path / name
        shutil.copy(source, target)
        return target

    return place


@pytest.mark.slow
def test_check_on_the_untouched_stub_shows_every_question_not_attempted(capsys, student_copy):
    stub = student_copy(ASSIGNMENTS / "second_order" / "second_order.py")
    code, out, _ = run(capsys, "check", str(stub))
    assert code == 1
    for question in ("first_order_grads", "second_partials", "hessian", "hvp", "gradient_penalty"):
        line = next(l for l in out.splitlines() if l.strip("│ ").startswith(question))
        assert "not attempted" in line
    assert f"Public tests: 0/{PUBLIC_SCORE:g} points" in out


@pytest.mark.slow
def test_check_on_a_correct_solution_claims_only_what_it_knows(capsys, student_copy, tmp_path):
    solution = student_copy(SUBMISSIONS / "second_order" / "correct_backward_style.py")
    code, out, _ = run(capsys, "check", str(solution.parent), "--json", str(tmp_path / "r.json"))
    assert code == 0
    hidden = FULL_SCORE - PUBLIC_SCORE
    assert (
        f"Public tests: {PUBLIC_SCORE:g}/{PUBLIC_SCORE:g} points; "
        f"{hidden:g} more points are graded by hidden tests after the deadline."
    ) in out
    assert not re.search(rf"\b({FULL_SCORE:g}|{hidden:g})\s*/\s*{FULL_SCORE:g}\b", out)  # no claim on them
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["mode"] == "check" and all(t["visibility"] == "visible" for t in saved["tests"])


@pytest.mark.slow
def test_check_failure_says_got_and_expected_and_shows_only_student_frames(capsys, student_copy):
    mistake = student_copy(SUBMISSIONS / "second_order" / "zeroed_gradients.py")
    code, out, _ = run(capsys, "check", str(mistake), "--question", "grads_without_zeroing")
    assert code == 1
    assert "grads_without_zeroing(tensor([3, 1], float32, shape (2,))" in out
    assert "(got 4, expected 24)" in out


@pytest.mark.slow
def test_a_student_error_shows_the_students_frames_only(capsys, tmp_path):
    source = tmp_path / "second_order.py"
    source.write_text(
        "def first_order_grads(x, y):\n    return helper(x)\n\n\n"
        "def helper(x):\n    raise ValueError('boom')\n"
    )
    code, out, _ = run(capsys, "check", str(source), "--question", "first_order_grads")
    assert code == 1
    assert "raised ValueError: boom" in out and "in helper" in out and "in first_order_grads" in out
    assert "grader/worker/" not in out and "site-packages" not in out


@pytest.mark.slow
def test_check_recognises_a_mistake_from_recorded_variants(capsys, student_copy, tmp_path):
    mistake = student_copy(SUBMISSIONS / "second_order" / "grad_accumulation.py")
    code, out, _ = run(
        capsys, "check", str(mistake), "--question", "hessian", "--json", str(tmp_path / "r.json")
    )
    assert code == 1
    assert "Recognised mistake: .grad was not zeroed between backward passes" in out
    saved = json.loads((tmp_path / "r.json").read_text())
    assert {t["misconception"] for t in saved["tests"]} == {"grad_accumulation"}


@pytest.mark.slow
def test_check_of_one_question_runs_only_its_tests(capsys, student_copy):
    stub = student_copy(ASSIGNMENTS / "second_order" / "second_order.py")
    _, out, _ = run(capsys, "check", str(stub), "--question", "hvp")
    assert "hvp" in out and "first_order_grads" not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["check", "no/such/file.py"], "no such file or folder"),
        (["check", "pyproject.toml"], "cannot tell which assignment pyproject.toml is for"),
        (["check", "--assignment", "nope", "."], "unknown assignment 'nope'"),
        (
            ["check", "--question", "nope", "assignments/second_order/second_order.py"],
            "unknown question 'nope'",
        ),
        (
            ["grade", "second_order", "x.py", "--out", "o", "--reference", "/nonexistent"],
            "no reference solution for second_order",
        ),
    ],
)
def test_bad_input_gets_one_line_and_exit_status_2(capsys, argv, message, monkeypatch):
    monkeypatch.chdir(ASSIGNMENTS.parent)
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_missing_arguments_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["grade", "second_order"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "the following arguments are required" in err and err.count("\n") == 1


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    # Each command's own help line, which only the list of commands prints (the description
    # above it names some commands too, so names alone would prove nothing).
    for module in (check, ci, export, grade, merge, new, record, release, show, validate):
        assert module.HELP in " ".join(out.split()), module.NAME


@pytest.mark.slow
def test_grade_writes_gradescope_results_and_a_gradebook(capsys, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    shutil.copy(SUBMISSIONS / "second_order" / "correct_compact.py", batch / "alice.py")
    shutil.copy(SUBMISSIONS / "second_order" / "zeroed_gradients.py", batch / "bob.py")
    (batch / "carol.rar").write_bytes(b"Rar!")
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, "grade", "second_order", str(batch), "--out", str(out), "--no-sandbox")
    assert code == 0
    alice = json.loads((out / "alice" / "results.json").read_text())
    assert alice["score"] == pytest.approx(FULL_SCORE)
    assert set(alice) >= {"score", "execution_time", "output", "tests"}
    entry = alice["tests"][0]
    assert set(entry) >= {"name", "score", "max_score", "status", "output", "visibility", "question"}
    assert {t["visibility"] for t in alice["tests"]} == {"visible", "after_published"}
    rows = {row["submission"]: row for row in csv.DictReader((out / "gradebook.csv").open())}
    assert float(rows["bob"]["score"]) == pytest.approx(FULL_SCORE - FULL["grads_without_zeroing"])
    assert float(rows["bob"]["grads_without_zeroing"]) == 0
    assert float(rows["carol"]["score"]) == 0 and float(rows["carol"]["max_score"]) == FULL_SCORE
    assert "not a supported submission format" in rows["carol"]["problem"]
    assert "gradebook" in stdout


@pytest.mark.slow
def test_recorded_expectations_are_up_to_date(capsys):
    for name in ("second_order", "maml"):
        code, out, _ = run(capsys, "record", name, "--check", "--reference", str(REFERENCE))
        assert code == 0, out


def test_an_error_naming_a_students_file_shows_its_control_characters_escaped(tmp_path, capsys):
    """A path or id in an error message came from a student: an escape sequence in it is
    shown, never sent to the terminal."""
    from grader.cli import main

    missing = tmp_path / "bob\x1b]52;c;aGk=\x07.py"
    assert main(["grade", "second_order", str(missing), "--out", str(tmp_path / "out"), "--no-sandbox"]) != 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "bob\\x1b]52;c;aGk=\\x07.py" in err


def test_a_reference_that_does_not_load_is_one_line_for_the_instructor(tmp_path, capsys):
    from grader.errors import ExitCode
    from tests.course_copy import CORRECT, copy_course, grade, hand_in

    folder = copy_course(tmp_path / "course")
    solution = tmp_path / "course" / "reference" / "second_order" / "second_order.py"
    solution.write_text(solution.read_text() + "\nraise ImportError('half an edit')\n")
    submissions = hand_in(tmp_path / "subs", {"alice": CORRECT})
    assert grade(folder, submissions, tmp_path / "out") == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "does not load (ImportError: half an edit)" in err, err
