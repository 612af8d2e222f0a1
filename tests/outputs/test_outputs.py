"""Every output of a batch renders from one registry and shows one total: Standing.total.

The batch is graded for real; an instructor's override and a late penalty are added as
grader/gradebook/standing.py defines them, so each format must show the adjusted total, the override
marked and the penalty on its own line or column.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from grader.cli import main
from grader.course.assignment import Assignment
from grader.course.late_policy import LatePenalty
from grader.course.misconceptions import GRADER_CODES, Catalogue, Misconception
from grader.gradebook.load import load_batch
from grader.gradebook.standing import GradedBatch, Override, graded_batch
from grader.outputs.registry import FORMATS, render, try_class_report
from tests.conftest import ASSIGNMENTS, full_marks, module_group
from tests.graded_outputs import graded_folder

pytestmark = [pytest.mark.slow, module_group("graded-outputs")]  # graded_folder() is graded once per process

OVERRIDE = Override("hessian", 9.0, "the hessian was right up to a transpose", "prof", "2026-12-01T09:00:00Z")
LATE = LatePenalty(seconds_late=26 * 3600, points=10.0, explanation="2 days late at 5 points a day")
FULL_SCORE = sum(full_marks("second_order").values())


@pytest.fixture(scope="module")
def batch() -> GradedBatch:
    """The real batch; ben's hessian overridden, cat's total late."""
    graded = load_batch(graded_folder())
    results = [s.result for s in graded.standings]
    adjusted = graded_batch(
        results,
        questions=graded.questions,
        max_points=graded.max_points,
        overrides={"ben": [OVERRIDE]},
        late={"cat": LATE},
        title=graded.title,
        catalogue=graded.catalogue,
    )
    by_id = adjusted.by_id()
    assert by_id["ben"].total != by_id["ben"].result.score  # the override counts
    assert by_id["cat"].total == pytest.approx(by_id["cat"].result.score - LATE.points)
    return adjusted


def _csv_totals(files: dict[str, str]) -> dict[str, float]:
    return {
        row["submission"]: float(row["score"]) for row in csv.DictReader(io.StringIO(files["gradebook.csv"]))
    }


def _canvas_totals(files: dict[str, str]) -> dict[str, float]:
    rows = list(csv.reader(io.StringIO(files["canvas.csv"])))[2:]
    return {row[3]: float(row[-1]) for row in rows}


def _gradescope_totals(files: dict[str, str]) -> dict[str, float]:
    return {path.split("/")[0]: json.loads(text)["score"] for path, text in files.items()}


def _junit_totals(files: dict[str, str]) -> dict[str, float]:
    suites = ET.fromstring(files["junit.xml"]).findall("testsuite")
    return {
        suite.get("name").split(".", 1)[1]: float(
            suite.find("properties/property[@name='score']").get("value")
        )
        for suite in suites
    }


def _markdown_totals(files: dict[str, str]) -> dict[str, float]:
    found = re.findall(rf"^## second_order · (\w+): ([\d.]+)/{FULL_SCORE:g} points", files["report.md"], re.M)
    return {name: float(total) for name, total in found}


def _terminal_totals(files: dict[str, str]) -> dict[str, float]:
    found = re.findall(rf"│ (\w+)\s+│\s+([\d.]+)/{FULL_SCORE:g} │", files["summary.txt"])
    return {name: float(total) for name, total in found}


def _html_totals(files: dict[str, str]) -> dict[str, float]:
    found = re.findall(
        rf'<section class="student-report" id="student-\d+"><h3>(\w+): ([\d.]+)/{FULL_SCORE:g}',
        files["report.html"],
    )
    return {name: float(total) for name, total in found}


TOTALS: dict[str, Callable[[dict[str, str]], dict[str, float]]] = {
    "terminal": _terminal_totals,
    "csv": _csv_totals,
    "canvas": _canvas_totals,
    "gradescope": _gradescope_totals,
    "junit": _junit_totals,
    "markdown": _markdown_totals,
    "html": _html_totals,
}


def test_every_registered_format_is_checked_here():
    assert set(TOTALS) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_shows_the_standing_total(batch, name):
    shown = TOTALS[name](render(name, batch))
    expected = {s.submission_id: s.total for s in batch.standings}
    assert shown == pytest.approx(expected, abs=0.005), name  # shown to two decimals at least


def test_overrides_are_marked_and_the_penalty_stands_on_its_own(batch):
    by_id = batch.by_id()
    rows = {
        row["submission"]: row for row in csv.DictReader(io.StringIO(render("csv", batch)["gradebook.csv"]))
    }
    assert rows["ben"]["overridden"] == "hessian" and float(rows["ben"]["hessian"]) == 9
    assert float(rows["cat"]["late_penalty"]) == LATE.points and rows["ann"]["late_penalty"] == "0"
    assert float(rows["cat"]["score"]) == pytest.approx(
        sum(float(rows["cat"][q]) for q in batch.questions) - LATE.points
    )
    ben = json.loads(render("gradescope", batch)["ben/results.json"])
    assert ben["extra_data"]["overrides"][0]["points"] == 9
    assert ben["extra_data"]["overrides"][0]["graded_points"] == by_id["ben"].graded_points("hessian")
    assert "set by prof" in ben["output"]
    cat = json.loads(render("gradescope", batch)["cat/results.json"])
    assert cat["extra_data"]["late_penalty"] == LATE.points and "Late penalty: -10 points" in cat["output"]
    markdown = render("markdown", batch)["report.md"]
    assert "| `hessian` | 9\\*/" in markdown and "- Late penalty: -10 points" in markdown
    terminal = render("terminal", batch)["summary.txt"]
    assert "9*" in terminal and "late" in terminal and "-10" in terminal
    page = render("html", batch)["report.html"]
    assert '<span class="override">9*</span>' in page and '<th class="num">late penalty</th>' in page
    assert html.escape(OVERRIDE.reason, quote=True) in page


def test_the_batch_carries_its_assignments_title_and_catalogue():
    second_order = Assignment.load(ASSIGNMENTS / "second_order")
    loaded = load_batch(graded_folder())
    assert loaded.title == second_order.title
    assert loaded.catalogue.entries == second_order.misconceptions.entries


def canvas_title(batch: GradedBatch) -> str:
    return next(csv.reader(io.StringIO(render("canvas", batch)["canvas.csv"])))[-1]


def test_outputs_read_the_assignment_from_the_batch_and_work_without_it(batch):
    """The title and the catalogue come from the batch, never from disk by the assignment's
    name; a batch whose assignment was not found shows its name and the grader's own codes."""
    code = next(
        t.misconception
        for s in batch.standings
        for t in s.result.tests
        if t.misconception and t.misconception not in GRADER_CODES
    )
    own = Catalogue({code: Misconception(code, "as the batch explains it", "Carried by the batch.")})
    carried = dataclasses.replace(batch, title="Second order, as carried", catalogue=own)
    assert canvas_title(carried) == "Second order, as carried"
    page = render("html", carried)["report.html"]
    assert "as the batch explains it" in page and "Carried by the batch." in page
    unknown = dataclasses.replace(batch, title="", catalogue=Catalogue())
    assert canvas_title(unknown) == batch.assignment
    page = render("html", unknown)["report.html"]
    assert "not in the catalogue" in page and "as the batch explains it" not in page


def test_export_and_grade_outputs_agree_on_the_total(tmp_path, capsys):
    """`grade` wrote results.json and the CSV; `export` renders them again: one total."""
    out = graded_folder()
    batch = load_batch(out)
    totals = {s.submission_id: s.total for s in batch.standings}
    written = {
        row["submission"]: float(row["score"]) for row in csv.DictReader((out / "gradebook.csv").open())
    }
    assert written == pytest.approx(totals, abs=0.005)
    for name in ("ann", "ben"):
        assert json.loads((out / name / "results.json").read_text())["score"] == pytest.approx(totals[name])
    assert main(["export", str(out), "--format", "canvas", "--to", str(tmp_path / "c.csv")]) == 0
    assert _canvas_totals({"canvas.csv": (tmp_path / "c.csv").read_text()}) == pytest.approx(
        totals, abs=0.005
    )
    assert main(["export", str(out), "--format", "terminal"]) == 0
    assert _terminal_totals({"summary.txt": capsys.readouterr().out}) == pytest.approx(totals, abs=0.005)


def test_a_class_report_that_cannot_be_written_costs_only_itself(batch, tmp_path):
    (tmp_path / "report.html").mkdir()  # a folder where the file should go
    line = try_class_report(tmp_path, batch)
    assert line.startswith("The class report was not written") and "grader report" in line
    assert main(["report", str(graded_folder()), "--html", str(tmp_path)]) != 0  # a folder


def test_report_command_writes_the_html(tmp_path, capsys):
    target = tmp_path / "class.html"
    assert main(["report", str(graded_folder()), "--html", str(target)]) == 0
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert main(["report", str(tmp_path)]) != 0
    assert "holds no gradebook.sqlite" in capsys.readouterr().err


def test_matplotlib_is_imported_only_to_draw_charts():
    """`grader check` and `grader grade` load without it; the class report draws with it."""
    import subprocess
    import sys

    code = (
        "import sys, grader.cli, grader.commands.check, grader.commands.grade, "
        "grader.outputs.registry, grader.outputs.html_report\n"
        "grader.cli.build_parser()\n"
        "assert 'matplotlib' not in sys.modules, 'imported early'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_an_override_made_with_the_cli_shows_in_show_export_and_the_report(tmp_path, capsys):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(graded_folder(), out)
    assert (
        main(
            [
                "override",
                str(out),
                "ben",
                "grads_without_zeroing",
                "12",
                "--reason",
                "zeroed once, on purpose",
                "--by",
                "prof",
            ]
        )
        == 0
    )
    total = load_batch(out).by_id()["ben"].total
    assert total == pytest.approx(load_batch(graded_folder()).by_id()["ben"].total + 12)
    capsys.readouterr()
    assert main(["show", str(out)]) == 0
    assert "12*" in capsys.readouterr().out
    assert main(["show", str(out), "ben"]) == 0
    shown = capsys.readouterr().out
    assert "set by prof" in shown and f"Total after adjustments: {total:g}/{FULL_SCORE:g}" in shown
    assert main(["export", str(out), "--format", "csv"]) == 0
    rows = {r["submission"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert (
        float(rows["ben"]["score"]) == pytest.approx(total)
        and rows["ben"]["overridden"] == "grads_without_zeroing"
    )
    assert main(["report", str(out)]) == 0
    assert '<span class="override">12*</span>' in (out / "report.html").read_text()
