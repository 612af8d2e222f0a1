"""setup.sh and run_autograder, run here as Gradescope runs them: a Gradescope-like layout under a
temporary root, 0.5 CPU and 768 MB (a control group), Docker's default capabilities.

Six submissions: correct, the untouched stub, a classic mistake, an endless loop, one that
reads the reference by its exact path, and one that prints whatever it can find. Expected
scores come from the course at test time: the assignment's points, and for the classic mistake
the same submission graded directly, with the same student key (so the same hidden draws).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from contextlib import ExitStack
from pathlib import Path

import pytest

from grader import results
from grader.autograder.bundle import build_zip
from grader.autograder.settings import AutograderSettings
from grader.autograder.student_view import shown_tests, total_shown
from grader.autograder.trial import gradescope_metadata, run_setup, run_submission, trial_root, unpack
from grader.course.assignment import Assignment
from grader.grading import GRADE, Grader, GradingOptions
from grader.intake.submission import Submission
from tests.autograder.schema import validate
from tests.conftest import ASSIGNMENTS, REFERENCE, SUBMISSIONS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv"),
]
NAME = "second_order"
PRINTER_MARK = "PRINTER-FOUND"


def reference_text() -> str:
    return (REFERENCE / NAME / f"{NAME}.py").read_text()


def submissions(folder: Path, root: Path) -> dict[str, Path]:
    """Each submission as a student would upload it (a file named as the assignment's)."""
    stolen = root / "source" / "course" / "reference" / NAME / f"{NAME}.py"
    texts = {
        "correct": reference_text(),
        "stub": (ASSIGNMENTS / NAME / f"{NAME}.py").read_text(),
        "mistake": (SUBMISSIONS / NAME / "missing_create_graph.py").read_text(),
        "loop": reference_text() + "\n\ndef hessian(f, x):\n    while True:\n        pass\n",
        "thief": reference_text() + f"\n\ndef first_order_grads(x, y):\n    namespace = {{}}\n"
        f"    exec(open({str(stolen)!r}).read(), namespace)\n    return namespace['first_order_grads'](x, y)\n",
        "printer": f"{reference_text()}\n\nimport os\n\n"
        f"for _path in ({str(root)!r}, {str(root / 'results')!r}, {str(root / 'source')!r}):\n"
        f"    try:\n        print({PRINTER_MARK!r}, _path, os.listdir(_path))\n"
        f"    except OSError as _exc:\n        print({PRINTER_MARK!r}, _path, _exc)\n"
        f"for _path in ({str(root / 'submission_metadata.json')!r}, {str(stolen)!r}):\n"
        f"    try:\n        print({PRINTER_MARK!r}, open(_path).read())\n"
        f"    except OSError as _exc:\n        print({PRINTER_MARK!r}, _exc)\n"
        f"print({PRINTER_MARK!r}, dict(os.environ))\n",
    }
    paths = {}
    for name, text in texts.items():
        (folder / name).mkdir()
        paths[name] = folder / name / f"{NAME}.py"
        paths[name].write_text(text)
    return paths


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, str, Path]]:
    """Every submission's results.json, stdout and upload, from one image."""
    assignment = Assignment.load(ASSIGNMENTS / NAME)
    work = tmp_path_factory.mktemp("gradescope")
    zip_path = work / f"{NAME}.zip"
    zip_path.write_bytes(build_zip(assignment, REFERENCE / NAME, AutograderSettings(NAME)))
    import sysconfig

    with trial_root() as layout:  # under /tmp: the uid must reach its environment
        unpack(zip_path, layout)
        assert run_setup(layout, reuse=sysconfig.get_paths()["purelib"]).startswith("setup done: ok")
        uploads = submissions(work, layout.root)
        found = {}
        for number, (name, upload) in enumerate(uploads.items(), start=1):
            run = run_submission(
                layout, upload.parent, gradescope_metadata(1000 + number), cpus=0.5, memory_mib=768
            )
            found[name] = (run.document, run.stdout, upload)
            assert run.oom_kills == 0, name
        return found


def direct(upload: Path, student: str) -> results.SubmissionResult:
    """The same submission graded here, outside any container, with the same student key."""
    assignment = Assignment.load(ASSIGNMENTS / NAME)
    with ExitStack() as stack:
        grader = stack.enter_context(
            Grader(assignment, GradingOptions(mode=GRADE, reference_dir=REFERENCE / NAME, run_slow=True))
        )
        return grader.grade(Submission(student, upload))[0]


def question_points(document: dict, question: str) -> float:
    return sum(t["max_score"] for t in document["tests"] if t["extra_data"]["question"] == question)


def test_every_results_json_is_within_gradescopes_specification(trial):
    for name, (document, _, _) in trial.items():
        validate(document)
        assert document["tests"], name


def test_the_scores_are_exact(trial):
    assignment = Assignment.load(ASSIGNMENTS / NAME)
    total = assignment.total_points
    score = {name: document["score"] for name, (document, _, _) in trial.items()}
    assert score["correct"] == pytest.approx(total)
    assert score["printer"] == pytest.approx(total)
    assert score["stub"] == 0
    loop = trial["loop"][0]
    assert score["loop"] == pytest.approx(total - assignment.questions["hessian"].total)
    assert [t["status"] for t in loop["tests"] if t["extra_data"]["question"] == "hessian"][0] == "failed"
    assert "timed out" in [t for t in loop["tests"] if t["extra_data"]["question"] == "hessian"][0]["output"]
    thief = trial["thief"][0]
    assert score["thief"] == pytest.approx(total - assignment.questions["first_order_grads"].total)
    expected = direct(trial["mistake"][2], "gs-1003")
    got = trial["mistake"][0]["tests"]
    assert [(t["name"], t["score"]) for t in got] == [(t.name, t.score) for t in expected.tests]
    assert (
        score["mistake"] == pytest.approx(sum(t.score for t in expected.tests))
        and 0 < score["mistake"] < total
    )
    assert "Permission denied" in json.dumps(thief) or "PermissionError" in json.dumps(thief)


def test_hidden_tests_and_the_total_show_only_after_the_due_date(trial):
    assignment = Assignment.load(ASSIGNMENTS / NAME)
    for name, (document, _, _) in trial.items():
        before = shown_tests(document, after_due_date=False)
        assert sum(t["max_score"] for t in before) == pytest.approx(
            assignment.total_points - assignment.hidden_points
        )
        assert not total_shown(document, after_due_date=False) and total_shown(document, after_due_date=True)
        hidden = [t for t in document["tests"] if t["visibility"] != "visible"]
        assert {t["visibility"] for t in hidden} == {"after_due_date"}, name
        assert sum(t["max_score"] for t in hidden) == pytest.approx(assignment.hidden_points)
        shape = re.compile(r"\[[a-z ]+\] hidden test of \w+(: recognised mistake \w+)?")
        assert all(shape.fullmatch(t["output"]) for t in hidden), name


def test_nothing_hidden_or_printed_reaches_the_student(trial):
    secret_line = next(line for line in reference_text().splitlines() if "create_graph=True" in line).strip()
    hidden_source = (REFERENCE / NAME / "tests" / "test_hidden.py").read_text()
    for name, (document, _stdout, _) in trial.items():
        text = json.dumps(document)
        assert PRINTER_MARK not in text and "@example.edu" not in text, name
        assert secret_line not in text, name
        assert "def test_" not in text and hidden_source[:200] not in text
    printed = trial["printer"][1]
    assert PRINTER_MARK in printed, "instructors see the printed output on stdout"
    assert "@example.edu" not in printed and secret_line not in printed, "the uid cannot read either"
    assert "confinement: uid" in printed and "seccomp: socket" in printed
