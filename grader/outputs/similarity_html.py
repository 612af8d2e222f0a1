"""Similar submissions in the class report: what `grader similarity` wrote into
OUT/similarity.json, as a table of the most alike pairs, the clusters of three or more, and
each suspicious pair's matching regions side by side, so that the instructor reads the code
itself before believing a score.

The file comes from our own command, but an older or damaged one must not stop the report:
every field is read for its type, and what is missing or odd is shown as missing (a region
outside its file is left out and counted). Every line of code passes through :func:`esc`, as
every other string from a submission does; the page stays plain HTML and CSS, without script.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.outputs.html import esc, link, row_anchor, table
from grader.similarity import Settings

SIMILARITY_FILE = "similarity.json"
SHOWN_PAIRS = 30
"""Rows of the table of most alike pairs."""
SIDE_BY_SIDE_PAIRS = 20
"""Suspicious pairs drawn side by side, best first; the rest are counted."""
REGIONS_PER_PAIR = 6
"""Matching regions drawn for one pair, the largest; the rest are listed by their lines."""
CONTEXT_LINES = 2
"""Lines drawn before and after a region, so that it reads in its place."""
REGION_LINES = 80
"""Matching lines drawn of one side of a region; a longer run is cut and counted."""
LINE_CHARACTERS = 200
"""Characters drawn of one line; the rest are counted (a padded line must not fill a page)."""

SIMILARITY_STYLE = """
a.to-pair { white-space: nowrap; }
.pair { margin: 1.5em 0 2em; } .pair h4 { margin: 0 0 0.2em; font-size: 15px; }
.region { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1em; margin: 0.6em 0;
          break-inside: avoid; }
.region > * { min-width: 0; }
table.code { width: 100%; table-layout: fixed; margin: 0; font: 12px/1.35 ui-monospace, monospace; }
table.code caption { font: 13px/1.4 system-ui, sans-serif; padding-bottom: 0.1em; }
table.code td { border: none; padding: 0 0.4em; white-space: pre-wrap; overflow-wrap: anywhere; }
table.code td.ln { width: 3.2em; text-align: right; color: #888; border-left: 3px solid transparent;
                   border-right: 1px solid #ddd; }
table.code tr.match td { background: #fff1a8; print-color-adjust: exact;
                         -webkit-print-color-adjust: exact; }
table.code tr.match td.ln { color: #5a4500; font-weight: bold; border-left-color: #d4a000; }
table.code tr.gap td { color: #777; font-style: italic; }
table.code .cut { color: #777; font-style: italic; }
"""


@dataclass(frozen=True)
class Similar:
    """What similarity.json holds, as the report reads it; `problem`: why it could not."""

    pairs: list[dict[str, Any]] = field(default_factory=list)
    clusters: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, list[str]] = field(default_factory=dict)
    suspicious_total: int = 0
    threshold: float = Settings.threshold
    problem: str = ""


Span = tuple[int, int]
"""First and last line, 1-based and inclusive."""


def read_similarity(out: Path | None) -> Similar | None:
    """What `grader similarity --out` wrote into `out`; None where it has not (the report then
    has no such section). A file that cannot be read is named in the section instead."""
    if out is None or not (out / SIMILARITY_FILE).is_file():
        return None
    path = out / SIMILARITY_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        return Similar(problem=f"{path} could not be read ({exc}): run `grader similarity` again")
    if not isinstance(document, dict) or not isinstance(document.get("pairs"), list):
        return Similar(problem=f"{path} holds no list of pairs: run `grader similarity` again")
    settings = document.get("settings")
    threshold = settings.get("threshold") if isinstance(settings, dict) else None
    if not _is_number(threshold):
        threshold = Settings.threshold
    return Similar(
        pairs=_dicts(document["pairs"]),
        clusters=_dicts(document.get("clusters")),
        files=_files(document.get("files")),
        suspicious_total=_count(document.get("suspicious_pairs")),
        threshold=_number(threshold),
    )


def _dicts(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _files(value: object) -> dict[str, list[str]]:
    """Each file as its lines; a line that is not text is drawn empty."""
    if not isinstance(value, dict):
        return {}
    return {
        str(name): [line if isinstance(line, str) else "" for line in lines]
        for name, lines in value.items()
        if isinstance(lines, list)
    }


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _number(value: object) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def similarity_section(similar: Similar, anchors: Mapping[str, str] | None = None) -> str:
    """The table of the most alike pairs, the clusters, and the suspicious pairs side by side."""
    if similar.problem:
        return f'<section id="similarity"><h2>Similar submissions</h2><p>{esc(similar.problem)}</p></section>'
    anchors = anchors or {}
    drawn = [p for p in similar.pairs if is_suspicious(p, similar.threshold)][:SIDE_BY_SIDE_PAIRS]
    numbers = {id(pair): number for number, pair in enumerate(drawn, 1)}
    return (
        '<section id="similarity"><h2>Similar submissions</h2>'
        '<p class="note">From <code>grader similarity</code>: code alike after names, '
        "comments, literals and order are set aside, the stub's code left out. A score is a "
        "reason to read two files side by side, never a verdict.</p>"
        + _pairs_table(similar.pairs, numbers, anchors)
        + _clusters(similar.clusters, anchors)
        + _side_by_side(similar, drawn, anchors)
        + "</section>"
    )


def is_suspicious(pair: Mapping[str, Any], threshold: float) -> bool:
    """As the file says; by its score where an older file does not say."""
    flag = pair.get("suspicious")
    return flag if isinstance(flag, bool) else _number(pair.get("score")) >= threshold


def _pairs_table(
    pairs: Sequence[Mapping[str, Any]], numbers: Mapping[int, int], anchors: Mapping[str, str]
) -> str:
    rows = []
    for pair in pairs[:SHOWN_PAIRS]:
        regions = ", ".join(f"{_lines(a)} ↔ {_lines(b)}" for a, b in regions_of(pair))
        number = numbers.get(id(pair))
        rows.append(
            [
                link(_text(pair.get("a")), anchors),
                link(_text(pair.get("b")), anchors),
                esc(f"{_number(pair.get('score')):.2f}"),
                esc(_text(pair.get("cluster"))),
                esc(regions),
                f'<a class="to-pair" href="#pair-{number}">pair {number}</a>' if number else "",
            ]
        )
    return table(
        ["submission", "submission", "score", "cluster", "matching lines (first ↔ second)", "side by side"],
        rows,
        numeric=[2, 3],
        caption=f"the {SHOWN_PAIRS} most alike pairs at most",
    )


def _clusters(clusters: Sequence[Mapping[str, Any]], anchors: Mapping[str, str]) -> str:
    groups = "".join(
        f"<li>cluster {esc(_text(c.get('id')))}: "
        + ", ".join(link(_text(m), anchors) for m in _list(c.get("members")))
        + "</li>"
        for c in clusters
    )
    return f"<ul>{groups}</ul>" if groups else "<p>No cluster of three or more.</p>"


def _side_by_side(similar: Similar, drawn: Sequence[Mapping[str, Any]], anchors: Mapping[str, str]) -> str:
    suspicious = sum(is_suspicious(p, similar.threshold) for p in similar.pairs)
    total = max(similar.suspicious_total, suspicious)
    heading = '<h3 id="side-by-side">Suspicious pairs side by side</h3>'
    if not drawn:
        return heading + (
            f"<p>No pair scored {similar.threshold:g} or more.</p>"
            if not total
            else f"<p>{total} suspicious pair(s) counted, none of them listed in "
            f"{SIMILARITY_FILE}: run <code>grader similarity</code> again.</p>"
        )
    more = total - len(drawn)
    note = (
        f'<p class="note">The {len(drawn)} most alike pair(s) scoring {similar.threshold:g} '
        "or more, best first: each matching region of the first file beside the same code in "
        f"the second, with {CONTEXT_LINES} lines around it, matching lines marked."
        + (
            f" {more} more suspicious pair(s) not drawn: see the table above and {SIMILARITY_FILE}."
            if more > 0
            else ""
        )
        + "</p>"
    )
    return (
        heading
        + note
        + "".join(pair_html(number, pair, similar.files, anchors) for number, pair in enumerate(drawn, 1))
    )


def pair_html(
    number: int, pair: Mapping[str, Any], files: Mapping[str, Sequence[str]], anchors: Mapping[str, str]
) -> str:
    """One pair: who, how alike, and its largest matching regions, each as two columns."""
    a, b = _text(pair.get("a")), _text(pair.get("b"))
    regions = regions_of(pair)
    drawn = sorted(sorted(regions, key=_size, reverse=True)[:REGIONS_PER_PAIR])
    body = (
        "".join(_region(a, b, span_a, span_b, files) for span_a, span_b in drawn)
        or '<p class="note">No matching region recorded.</p>'
    )
    return (
        f'<article class="pair" id="pair-{number}" data-a="{esc(a)}" data-b="{esc(b)}">'
        f"<h4>{number}. {_student(a, anchors)} and {_student(b, anchors)}</h4>"
        f'<p class="note">{esc(_about(a, b, pair, regions, drawn))}</p>{body}</article>'
    )


def _about(
    a: str,
    b: str,
    pair: Mapping[str, Any],
    regions: Sequence[tuple[Span, Span]],
    drawn: Sequence[tuple[Span, Span]],
) -> str:
    """The pair's score, cluster and shares, and which of its regions are not drawn."""
    cluster = pair.get("cluster")
    left = [f"{_lines(x)} ↔ {_lines(y)}" for x, y in regions if (x, y) not in drawn]
    return (
        f"score {_number(pair.get('score')):.2f}"
        + (f", cluster {_text(cluster)}" if cluster is not None else "")
        + _shares(a, b, pair)
        + f"; {len(regions)} matching region(s)"
        + (f", the {len(drawn)} largest drawn; the others at {', '.join(left)}" if left else "")
        + "."
    )


def _student(submission_id: str, anchors: Mapping[str, str]) -> str:
    """The id, linking to the student's row in the gradebook where the batch has one."""
    anchor = anchors.get(submission_id)
    return f'<a href="#{row_anchor(anchor)}">{esc(submission_id)}</a>' if anchor else esc(submission_id)


def _shares(a: str, b: str, pair: Mapping[str, Any]) -> str:
    if not (_is_number(pair.get("a_share")) and _is_number(pair.get("b_share"))):
        return ""
    return (
        f"; {_number(pair.get('a_share')):.0%} of {a}'s weighted code is shared with {b}, "
        f"{_number(pair.get('b_share')):.0%} of {b}'s with {a}"
    )


def regions_of(pair: Mapping[str, Any]) -> list[tuple[Span, Span]]:
    """The pair's regions whose line ranges both read as ranges; others are left out."""
    found = []
    for region in _list(pair.get("regions")):
        if isinstance(region, dict):
            a, b = _span(region.get("a_lines")), _span(region.get("b_lines"))
            if a is not None and b is not None:
                found.append((a, b))
    return found


def _span(value: object) -> Span | None:
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 1 <= value[0] <= value[1]
    ):
        return value[0], value[1]
    return None


def _size(region: tuple[Span, Span]) -> int:
    (a_first, a_last), (b_first, b_last) = region
    return a_last - a_first + b_last - b_first


def _region(a: str, b: str, span_a: Span, span_b: Span, files: Mapping[str, Sequence[str]]) -> str:
    return (
        f'<div class="region" data-a-lines="{_lines(span_a)}" data-b-lines="{_lines(span_b)}">'
        + code_html(a, files.get(a), span_a)
        + code_html(b, files.get(b), span_b)
        + "</div>"
    )


def code_html(submission_id: str, lines: Sequence[str] | None, span: Span) -> str:
    """One side of a region: its lines numbered, the matching ones marked, a few around them."""
    caption = f"<caption>{esc(submission_id)}, lines {_lines(span)}</caption>"
    if lines is None:
        return (
            f'<table class="code">{caption}<tbody><tr class="gap"><td class="ln"></td><td>'
            f"its text is not in {SIMILARITY_FILE}: run grader similarity again</td></tr>"
            "</tbody></table>"
        )
    first, last = span
    rows = []
    for number in range(max(1, first - CONTEXT_LINES), min(len(lines), last + CONTEXT_LINES) + 1):
        matching = first <= number <= last
        if matching and number - first >= REGION_LINES:
            if number - first == REGION_LINES:
                rows.append(
                    f'<tr class="gap"><td class="ln">…</td><td>{last - number + 1} more '
                    f"matching lines, to line {last}</td></tr>"
                )
            continue
        rows.append(
            f'<tr class="{"match" if matching else "context"}"><td class="ln">{number}'
            f"</td><td>{_code(lines[number - 1])}</td></tr>"
        )
    if first > len(lines):
        rows.append(
            f'<tr class="gap"><td class="ln"></td><td>beyond the end of the file '
            f"({len(lines)} lines)</td></tr>"
        )
    return f'<table class="code">{caption}<tbody>{"".join(rows)}</tbody></table>'


def _code(line: str) -> str:
    """One line of code escaped for HTML, cut at LINE_CHARACTERS with how much went."""
    if len(line) <= LINE_CHARACTERS:
        return esc(line)
    return (
        esc(line[:LINE_CHARACTERS])
        + f'<span class="cut"> … {len(line) - LINE_CHARACTERS} more characters</span>'
    )


def _lines(span: Span) -> str:
    return f"{span[0]}–{span[1]}"


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: object) -> str:
    return "" if value is None else str(value)
