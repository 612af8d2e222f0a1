"""The one registry of output formats: each renders a GradedBatch into files.

A renderer returns its files as {path relative to where they go: text}. `grade` and `merge`
write the formats in :data:`WRITTEN_WITH_A_BATCH` into their output folder; `export` writes
any one of them where it is asked. Every renderer reads points from the batch's Standings,
so an override or a late penalty shows in all of them at once.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console, Group

from grader.errors import GraderError
from grader.gradebook.standing import GradedBatch
from grader.intake.files import write_text_atomic
from grader.outputs.canvas import canvas_csv_of
from grader.outputs.class_table import ClassStatistics, GradebookTable
from grader.outputs.csv_gradebook import gradebook_csv_of
from grader.outputs.gradescope import results_json_of
from grader.outputs.html_report import class_report
from grader.outputs.junit import junit_xml_of
from grader.outputs.markdown import markdown_batch

Files = dict[str, str]


@dataclass(frozen=True)
class Format:
    name: str
    help: str
    render: Callable[[GradedBatch, Path | None], Files]
    """The batch, and the output folder it was read from (None: not from a folder)."""

    @property
    def single_file(self) -> bool:
        """One file whatever the batch (it can go to standard output)."""
        return self.name != "gradescope"


def _terminal(batch: GradedBatch, out: Path | None) -> Files:
    stream = io.StringIO()
    Console(file=stream, width=120, color_system=None, legacy_windows=False).print(
        Group(GradebookTable(batch), ClassStatistics(batch))
    )
    return {"summary.txt": stream.getvalue()}


def _csv(batch: GradedBatch, out: Path | None) -> Files:
    return {"gradebook.csv": gradebook_csv_of(batch)}


def _canvas(batch: GradedBatch, out: Path | None) -> Files:
    return {"canvas.csv": canvas_csv_of(batch, assignment_title(batch))}


def _gradescope(batch: GradedBatch, out: Path | None) -> Files:
    return {f"{s.submission_id}/results.json": results_json_of(s) for s in batch.standings}


def _junit(batch: GradedBatch, out: Path | None) -> Files:
    return {"junit.xml": junit_xml_of(batch)}


def _markdown(batch: GradedBatch, out: Path | None) -> Files:
    return {"report.md": markdown_batch(batch)}


def _html(batch: GradedBatch, out: Path | None) -> Files:
    return {"report.html": class_report(batch, out)}


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("terminal", "the gradebook table and class figures as plain text", _terminal),
        Format("csv", "the gradebook, one column per question", _csv),
        Format("canvas", "Canvas's gradebook import CSV", _canvas),
        Format("gradescope", "one results.json per submission, in a folder per id", _gradescope),
        Format("junit", "JUnit XML, a testsuite per submission", _junit),
        Format("markdown", "a markdown report per submission", _markdown),
        Format("html", "the instructor's class report: one self-contained HTML file", _html),
    )
}

WRITTEN_WITH_A_BATCH = ("gradescope", "csv")
"""What `grade` and `merge` write into their output folder (the HTML report, written last,
is :func:`write_class_report`'s: a failure there must not cost these)."""


def assignment_title(batch: GradedBatch) -> str:
    """The assignment's title where its folder was found, else its name."""
    return batch.title or batch.assignment


def render(name: str, batch: GradedBatch, out: Path | None = None) -> Files:
    if name not in FORMATS:
        raise GraderError(f"unknown format {name!r}: choose one of {', '.join(FORMATS)}")
    return FORMATS[name].render(batch, out)


def write(folder: Path, files: Files) -> None:
    """Write each file that differs from what is there (a batch's end rewrites every
    results.json, and most are as they were written when their submission was graded)."""
    for relative, text in files.items():
        if not _holds(folder / relative, text):
            write_text_atomic(folder / relative, text)


def _holds(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def write_outputs(out: Path, batch: GradedBatch, names: tuple[str, ...] = WRITTEN_WITH_A_BATCH) -> None:
    """Render every format named into `out`, as `grade` and `merge` do at the end."""
    for name in names:
        write(out, render(name, batch, out))


REPORT_FILE = "report.html"


def write_class_report(out: Path, batch: GradedBatch, path: Path | None = None) -> Path:
    """Render the HTML class report and write it (default OUT/report.html); a write that fails
    is one line saying what to do."""
    target = path if path is not None else out / REPORT_FILE
    (text,) = render("html", batch, out).values()
    try:
        write_text_atomic(target, text)
    except OSError as exc:
        raise GraderError(
            f"cannot write {target} ({exc.strerror or exc}): free space there or give another --html FILE"
        ) from None
    return target


def try_class_report(out: Path, batch: GradedBatch) -> str:
    """Write OUT/report.html at the end of a batch, saying in one line what happened.

    Everything graded is in the gradebook already and the other outputs are written; a report
    that cannot be rendered or written costs only itself, so any failure here becomes a line
    that says how to try again instead of ending the command.
    """
    try:
        return f"Wrote {write_class_report(out, batch)}"
    except Exception as exc:  # noqa: BLE001 - the gradebook is the truth; this is a view of it
        if os.environ.get("GRADER_DEBUG"):
            raise
        return (
            f"The class report was not written ({type(exc).__name__}: {exc}); the gradebook "
            f"and the other outputs are kept: run `grader report {out}` to try again"
        )
