"""The instructor's class report: one self-contained HTML file, readable offline, printable.

Sections: the score distribution; each question's histogram, mean, share of full marks and
most failed tests; what the class got wrong (each recognised mistake per question, ranked by
the points it cost); the slowest and largest submissions and every limit hit; the gradebook,
a row per student linking to that student's own report further down (the terminal report,
exported by rich as HTML); and similar submissions where `grader similarity` has written
OUT/similarity.json (similarity_html.py), each suspicious pair's matching code side by side.

Every string that came from a submission (ids, messages, output, file and test names) passes
through :func:`esc` (control characters escaped, then ``html.escape`` with quotes) before it
enters the page; charts carry numbers only. No script, no external resource.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console

from grader.course.misconceptions import Catalogue
from grader.gradebook.standing import GradedBatch, Standing
from grader.outputs import charts, statistics
from grader.outputs.adjustments import OVERRIDE_MARK, adjustment_lines, marked_points, points
from grader.outputs.html import esc, link, row_anchor, table
from grader.outputs.similarity_html import SIMILARITY_STYLE, read_similarity, similarity_section
from grader.outputs.submission_report import SubmissionReport

REPORT_WIDTH = 100

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 62em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; } caption { text-align: left; color: #555; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure.chart { margin: 0.5em 0; } figure.chart svg { max-width: 100%; height: auto; }
.question-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(28em, 1fr));
                 gap: 0 2em; }
.question { break-inside: avoid; margin-bottom: 1.5em; min-width: 0; }
.question table { font-size: 12px; }
.note { color: #555; } .override { color: #8a4b00; font-weight: bold; }
.student-report { break-before: page; border-top: 2px solid #ccc; margin-top: 2em; }
.student-report pre { font: 12px/1.3 ui-monospace, monospace; white-space: pre-wrap;
                      background: #fff; padding: 0.5em; border: 1px solid #eee; }
nav a { margin-right: 1em; }
@media print { nav { display: none; } body { margin: 0; max-width: none; } }
"""


def class_report(batch: GradedBatch, out: Path | None = None) -> str:
    """The whole document. `out`: the output folder, where a similarity.json may lie."""
    catalogue = batch.catalogue
    anchors = {s.submission_id: f"student-{number}" for number, s in enumerate(batch.standings, 1)}
    similar = read_similarity(out)
    sections = [
        _distribution(batch),
        _questions(batch),
        _mistakes(batch, catalogue),
        _outliers(batch, anchors),
        _gradebook(batch, anchors),
        similarity_section(similar, anchors) if similar else "",
        _student_reports(batch, anchors, catalogue),
    ]
    title = f"{batch.assignment}: class report"
    style = STYLE + (SIMILARITY_STYLE if similar else "")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{esc(title)}</title>",
            f"<style>{style}</style>",
            "</head>",
            "<body>",
            f"<h1>{esc(title)}</h1>",
            f'<p class="note">{len(batch.standings)} submission(s); the most a submission can '
            f"earn is {esc(points(batch.max_points))} points.</p>",
            _navigation(bool(similar)),
            *filter(None, sections),
            "</body>",
            "</html>",
            "",
        ]
    )


def _navigation(similar: bool) -> str:
    links = [
        ("distribution", "distribution"),
        ("questions", "questions"),
        ("mistakes", "what the class got wrong"),
        ("outliers", "slowest and limits"),
        ("gradebook", "students"),
    ] + ([("similarity", "similar submissions")] if similar else [])
    return "<nav>" + "".join(f'<a href="#{key}">{esc(name)}</a>' for key, name in links) + "</nav>"


def _figure(svg: str, question: str | None, caption: str) -> str:
    data = f' data-question="{esc(question)}"' if question is not None else ""
    return f'<figure class="chart"{data}>{svg}<figcaption>{esc(caption)}</figcaption></figure>'


def _distribution(batch: GradedBatch) -> str:
    counts = statistics.distribution(batch)
    labels = [f"{10 * i}–{10 * i + 10}" for i in range(len(counts))]
    totals = [s.total for s in batch.standings]
    mean = sum(totals) / len(totals) if totals else 0.0
    svg = charts.bar_chart(counts, labels, xlabel="total, percent of the maximum", key="total")
    return (
        '<section id="distribution"><h2>Score distribution</h2>'
        + _figure(
            svg,
            None,
            f"Totals after overrides and late penalties; mean {points(mean)}/{points(batch.max_points)}.",
        )
        + "</section>"
    )


def _questions(batch: GradedBatch) -> str:
    parts = ['<section id="questions"><h2>Per question</h2><div class="question-grid">']
    for number, figures in enumerate(statistics.per_question(batch), 1):
        counts, labels = charts.bins_of(figures.points, figures.max_points)
        svg = charts.bar_chart(counts, labels, xlabel="points", key=f"question-{number}")
        failed = (
            table(
                ["test", "submissions failing it"],
                [[esc(name), str(count)] for name, count in figures.most_failed],
                numeric=[1],
                caption="most often failed",
            )
            if figures.most_failed
            else '<p class="note">No test of this question failed.</p>'
        )
        parts.append(
            f'<article class="question" id="question-{number}" data-question="{esc(figures.question)}">'
            f"<h3>{esc(figures.question)}</h3>"
            f"<p>mean <b>{esc(points(figures.mean))}</b> of {esc(points(figures.max_points))} "
            f"points; full marks: <b>{figures.full_share:.0%}</b> of {len(figures.points)}</p>"
            + _figure(svg, figures.question, f"points in {figures.question}")
            + failed
            + "</article>"
        )
    return "".join(parts) + "</div></section>"


def _mistakes(batch: GradedBatch, catalogue: Catalogue) -> str:
    """Per question, each recognised mistake ranked by the points it cost: the lecture plan."""
    ranked = statistics.mistakes(batch)
    parts = [
        '<section id="mistakes"><h2>What the class got wrong</h2>',
        '<p class="note">Each recognised mistake, by question, with how many submissions '
        "made it and the points the tests that caught it took away, costliest first.</p>",
    ]
    if not ranked:
        parts.append("<p>No recognised mistake in this batch.</p>")
    order = {q: i for i, q in enumerate(batch.questions)}
    for question in sorted({m.question for m in ranked}, key=lambda q: order.get(q, len(order))):
        rows = []
        for mistake in (m for m in ranked if m.question == question):
            meaning = catalogue.explain(mistake.code)
            rows.append(
                [
                    f'<code class="mistake">{esc(mistake.code)}</code>',
                    esc(meaning.title if meaning else ""),
                    str(len(mistake.submissions)),
                    esc(points(mistake.points_lost)),
                    esc(meaning.explanation if meaning else "not in the catalogue"),
                ]
            )
        parts.append(
            f'<div class="question-mistakes" data-question="{esc(question)}">'
            f"<h3>{esc(question)}</h3>"
            + table(["code", "mistake", "submissions", "points lost", "explanation"], rows, numeric=[2, 3])
            + "</div>"
        )
    return "".join(parts) + "</section>"


def _outliers(batch: GradedBatch, anchors: Mapping[str, str]) -> str:
    slowest = table(
        ["submission", "seconds", "in student code", "peak memory (MiB)"],
        [
            [
                link(s.submission_id, anchors),
                f"{s.result.execution_time:.1f}",
                f"{s.result.student_seconds:.1f}",
                _memory(s),
            ]
            for s in statistics.slowest(batch)
        ],
        numeric=[1, 2, 3],
        caption="slowest",
    )
    largest = statistics.largest(batch)
    memory = (
        table(
            ["submission", "peak memory (MiB)"],
            [[link(s.submission_id, anchors), _memory(s)] for s in largest],
            numeric=[1],
            caption="largest (all of a submission's processes together)",
        )
        if largest
        else '<p class="note">Peak memory not measured (no control group per submission).</p>'
    )
    hits = statistics.limits_hit(batch)
    limits = (
        table(
            ["submission", "question", "limit"],
            [[link(h.submission_id, anchors), esc(h.question), esc(h.status)] for h in hits],
            caption="every limit hit",
        )
        if hits
        else "<p>No submission hit a limit.</p>"
    )
    return (
        '<section id="outliers"><h2>Slowest submissions and limits hit</h2>'
        + slowest
        + memory
        + limits
        + "</section>"
    )


def _memory(standing: Standing) -> str:
    peak = standing.result.peak_memory_mib
    return "" if peak is None else f"{peak:.0f}"


def _gradebook(batch: GradedBatch, anchors: Mapping[str, str]) -> str:
    late = any(s.late is not None for s in batch.standings)
    headers = ["submission", "total", *batch.questions, *(["late penalty"] if late else []), "problem"]
    rows = []
    for standing in batch.standings:
        cells = [
            link(standing.submission_id, anchors),
            f"{esc(points(standing.total))}/{esc(points(standing.max_points))}",
        ]
        cells += [_marked(standing, q) for q in batch.questions]
        if late:
            cells.append(f"-{esc(points(standing.penalty))}" if standing.late else "")
        cells.append(esc(standing.result.problem))
        rows.append(cells)
    numeric = list(range(1, 2 + len(batch.questions) + late))
    caption = (
        f"{OVERRIDE_MARK} points set by an instructor's override"
        if any(s.overrides for s in batch.standings)
        else ""
    )
    return (
        '<section id="gradebook"><h2>Students</h2>'
        + table(
            headers,
            rows,
            numeric=numeric,
            caption=caption,
            row_ids=[row_anchor(anchors[s.submission_id]) for s in batch.standings],
        )
        + "</section>"
    )


def _marked(standing: Standing, question: str) -> str:
    text = esc(marked_points(standing, question))
    return f'<span class="override">{text}</span>' if standing.override_of(question) else text


def _student_reports(batch: GradedBatch, anchors: Mapping[str, str], catalogue: Catalogue) -> str:
    parts = ['<section id="reports"><h2>Each student\'s report</h2>']
    for standing in batch.standings:
        adjustments = "".join(f"<li>{esc(line)}</li>" for line in adjustment_lines(standing))
        parts.append(
            f'<section class="student-report" id="{anchors[standing.submission_id]}">'
            f"<h3>{esc(standing.submission_id)}: {esc(points(standing.total))}/"
            f"{esc(points(standing.max_points))} points</h3>"
            + (f'<ul class="adjustments">{adjustments}</ul>' if adjustments else "")
            + submission_html(standing, catalogue)
            + "</section>"
        )
    return "".join(parts) + "</section>"


def submission_html(standing: Standing, catalogue: Catalogue) -> str:
    """The terminal report of one submission, as rich exports it (its text escaped there)."""
    console = Console(
        record=True,
        file=io.StringIO(),
        width=REPORT_WIDTH,
        color_system="truecolor",
        force_terminal=True,
        legacy_windows=False,
    )
    console.print(SubmissionReport(standing.result, catalogue=catalogue))
    return console.export_html(inline_styles=True, code_format="<pre>{code}</pre>")
