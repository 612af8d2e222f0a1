"""The class report opened in a real headless browser: it draws something, holds a chart per
question and the ranked mistakes, and shows hostile submission text as text.

Chromium renders the page (`--screenshot`, `--dump-dom`). Where it is missing the browser
tests skip, except in CI (GRADER_REQUIRE_SANDBOX=1, set by .ci/run), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.cli import main
from grader.gradebook.load import load_batch
from grader.gradebook.standing import GradedBatch, graded_batch
from grader.outputs import statistics
from grader.outputs.html_report import class_report
from grader.outputs.similarity_html import (
    CONTEXT_LINES,
    REGION_LINES,
    REGIONS_PER_PAIR,
    SIDE_BY_SIDE_PAIRS,
    Similar,
    read_similarity,
    similarity_section,
)
from grader.results import GradedTest, SubmissionResult
from tests.conftest import SUBMISSIONS, module_group
from tests.graded_outputs import graded_folder

pytestmark = module_group("graded-outputs")  # graded_folder() is graded once per process

HOSTILE_ID = '<script>alert("id")</script>\'"&amp;'
CONTROL_ID = "mallory\x1b]0;pwned\x07"
HOSTILE_OUTPUT = "<script>document.title='pwned'</script>\"quoted\" <img src=x onerror=alert(1)>"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def hostile_result(submission_id: str = HOSTILE_ID) -> SubmissionResult:
    """A submission whose id, test name, message and output are all markup."""
    tests = [
        GradedTest(
            name=f"hessian of {HOSTILE_OUTPUT}",
            nodeid="t::h",
            question="hessian",
            visibility="visible",
            max_score=8,
            score=0,
            status="failed",
            message=HOSTILE_OUTPUT,
            misconception="grad_accumulation",
        ),
        GradedTest(
            name="hvp",
            nodeid="t::v",
            question="hvp",
            visibility="visible",
            max_score=4,
            score=4,
            status="passed",
        ),
    ]
    return SubmissionResult(
        submission_id, "second_order", "grade", tests=tests, output=HOSTILE_OUTPUT * 20, execution_time=1.5
    )


@pytest.fixture(scope="module")
def batch() -> GradedBatch:
    graded = load_batch(graded_folder())
    return graded_batch(
        [*(s.result for s in graded.standings), hostile_result(), hostile_result(CONTROL_ID)],
        questions=graded.questions,
        max_points=graded.max_points,
        title=graded.title,
        catalogue=graded.catalogue,
    )


@pytest.fixture(scope="module")
def page(batch, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(class_report(batch), encoding="utf-8")
    return path


class Document(HTMLParser):
    """Every element with its attributes, the text, and where each chart and mistake sits."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.charts: list[str | None] = []
        self.mistakes: list[tuple[str | None, str]] = []
        self._question: str | None = None
        self._in_code = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        classes = (attributes.get("class") or "").split()
        if tag == "figure" and "chart" in classes and "data-question" in attributes:
            self.charts.append(attributes["data-question"])
        if "question-mistakes" in classes:
            self._question = attributes.get("data-question")
        self._in_code = tag == "code" and "mistake" in classes

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_code:
            self.mistakes.append((self._question, data))


def assert_inert(document: Document) -> None:
    """No element or event handler came from a submission; its text is there, as text."""
    assert_inert_markup(document)
    assert not [
        a
        for _, attributes in document.elements
        for name, a in attributes.items()
        if name in ("src", "href") and a and not a.startswith("#")
    ]  # nothing fetched
    text = "".join(document.text)
    assert HOSTILE_ID in text and "document.title='pwned'" in text


@pytest.mark.slow
def test_the_page_escapes_every_string_from_a_submission(page):
    text = page.read_text(encoding="utf-8")
    assert_inert(Document(text))
    assert "\x1b" not in text and "\x07" not in text
    assert "mallory\\x1b]0;pwned\\x07" in "".join(Document(text).text)


def browser() -> str:
    found = next(filter(None, map(shutil.which, BROWSERS)), None)
    if found is None:
        why = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("GRADER_REQUIRE_SANDBOX"):
            pytest.fail(f"{why}: CI must open the class report in a real browser")
        pytest.skip(why)
    return found


def run_browser(page: Path, profile: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [
        browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        *arguments,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=True)


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit PNG, by zlib and struct alone."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), (depth, colour)
    step = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * step
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                guess = left + up - corner
                nearest = min(
                    (abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner)
                )[2]
                line[x] = (line[x] + nearest) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(r[i : i + 3]) for r in rows for i in range(0, stride, step)]


@pytest.mark.browser
def test_a_browser_draws_the_report(page, tmp_path):
    shot = tmp_path / "report.png"
    run_browser(page, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1000,1400")
    width, height, pixels = png_pixels(shot)
    assert (width, height) == (1000, 1400)
    colours = set(pixels)
    ink = sum(p != b"\xff\xff\xff" for p in pixels) / len(pixels)
    assert len(colours) >= 16 and 0.01 < ink < 0.9, (len(colours), ink)  # text and bars, not blank


@pytest.mark.browser
def test_the_browsers_dom_holds_a_chart_per_question_and_the_ranked_mistakes(page, batch, tmp_path):
    dom = run_browser(page, tmp_path / "profile", "--dump-dom").stdout
    document = Document(dom)
    graded = [f.question for f in statistics.per_question(batch)]
    assert document.charts == graded and len(graded) == 6
    ranked = statistics.mistakes(batch)
    order = {q: i for i, q in enumerate(batch.questions)}
    expected = [(m.question, m.code) for m in sorted(ranked, key=lambda m: order[m.question])]
    assert document.mistakes == expected
    codes = {code for _, code in document.mistakes}
    assert {"zeroed_gradients", "grad_accumulation", "missing_create_graph"} <= codes
    hessian = [m for m in ranked if m.question == "hessian"]
    assert hessian[0].points_lost >= hessian[-1].points_lost  # costliest first
    assert_inert(document)
    anchors = {attributes.get("id") for _, attributes in document.elements}
    links = [
        a["href"] for tag, a in document.elements if tag == "a" and a.get("href", "").startswith("#student-")
    ]
    assert len(set(links)) == len(batch.standings) and all(link[1:] in anchors for link in links)


@pytest.mark.slow
def test_the_similarity_section_shows_what_grader_similarity_found(tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded_folder(), out)
    assert '<section id="similarity">' not in class_report(load_batch(out), out)  # not run yet
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    correct = (SUBMISSIONS / "second_order" / "correct_compact.py").read_text()
    (submissions / "ann.py").write_text(correct)
    (submissions / "ann_copy.py").write_text(correct.replace("grads", "gradients"))
    shutil.copy(SUBMISSIONS / "second_order" / "correct_many_idioms.py", submissions / "ben.py")
    assert main(["similarity", "second_order", str(submissions), "--out", str(out)]) == 0
    page = class_report(load_batch(out), out)
    document = Document(page)
    assert_inert_markup(document)
    section = page[page.index('<section id="similarity">') :]
    pair = section[: section.index("</tr>", section.index("<tbody>"))]
    assert "ann" in pair and "ann_copy" in pair and "↔" in pair  # the top pair, with its lines


def test_the_similarity_section_escapes_ids():
    pairs = [
        {
            "a": HOSTILE_ID,
            "b": "bob",
            "score": 0.91,
            "cluster": 1,
            "regions": [{"a_lines": [3, 9], "b_lines": [4, 10]}],
        }
    ]
    section = similarity_section(Similar(pairs, [{"id": 1, "members": [HOSTILE_ID, "bob", "cy"]}]))
    document = Document(section)
    assert_inert_markup(document)
    assert "".join(document.text).count(HOSTILE_ID) == 4 and "3–9 ↔ 4–10" in section


def assert_inert_markup(document: Document) -> None:
    assert not {"script", "img", "iframe"} & {tag for tag, _ in document.elements}
    assert not [name for _, attributes in document.elements for name in attributes if name.startswith("on")]


# Suspicious pairs side by side: a real `grader similarity` run on the labelled corpus.

CORPUS = Path(__file__).resolve().parents[1] / "similarity_corpus" / "second_order"
HOSTILE_LINE = "    # <script>alert(1)</script> \"double\" 'single' &amp; a < b > c"
AS_GRADED = {"compact": "ann", "copy1_compact": "ben"}  # ids the gradebook holds, so links resolve


class SideBySide(HTMLParser):
    """Each pair drawn side by side: its ids, links, and per region both columns' rows as
    (line number, text, class), as the browser's DOM holds them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[dict] = []
        self.row_ids: set[str] = set()
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "tr" and attributes.get("id"):
            self.row_ids.add(attributes["id"] or "")
        if tag == "article" and "pair" in classes:
            self.pairs.append(
                {"a": attributes["data-a"], "b": attributes["data-b"], "links": [], "regions": []}
            )
        elif tag == "a" and self.pairs and not self.pairs[-1]["regions"]:
            self.pairs[-1]["links"].append(attributes.get("href"))
        elif tag == "div" and "region" in classes:
            self.pairs[-1]["regions"].append(
                {"lines": (attributes["data-a-lines"], attributes["data-b-lines"]), "sides": []}
            )
        elif tag == "table" and "code" in classes:
            self.pairs[-1]["regions"][-1]["sides"].append([])
        elif tag == "tr" and self.pairs and self.pairs[-1]["regions"]:
            self.pairs[-1]["regions"][-1]["sides"][-1].append({"class": attributes.get("class"), "cells": []})
        elif tag == "td" and self.pairs and self.pairs[-1]["regions"]:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.pairs[-1]["regions"][-1]["sides"][-1][-1]["cells"].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def similar_report(tmp_path_factory) -> tuple[Path, dict, dict[str, list[str]]]:
    """The class report of the graded batch after `grader similarity` on the corpus (two files
    under ids of the gradebook, one with a line of markup), similarity.json, and each
    submission's lines as read from disk."""
    root = tmp_path_factory.mktemp("similar")
    out, submissions = root / "out", root / "submissions"
    shutil.copytree(graded_folder(), out)
    submissions.mkdir()
    sources = {}
    for path in sorted(CORPUS.glob("*.py")):
        lines = path.read_text().split("\n")
        if path.stem == "copy1_compact":
            lines.insert(18, HOSTILE_LINE)  # inside grads_without_zeroing: within the copy
        name = AS_GRADED.get(path.stem, path.stem)
        (submissions / f"{name}.py").write_text("\n".join(lines))
        sources[name] = lines
    assert main(["similarity", "second_order", str(submissions), "--out", str(out)]) == 0
    page = root / "report.html"
    page.write_text(class_report(load_batch(out), out), encoding="utf-8")
    document = json.loads((out / "similarity.json").read_text(encoding="utf-8"))
    return page, document, sources


@pytest.mark.browser
def test_the_browser_shows_each_suspicious_pair_side_by_side(similar_report, tmp_path):
    page, document, sources = similar_report
    dom = run_browser(page, tmp_path / "profile", "--dump-dom").stdout
    drawn = SideBySide(dom).pairs
    suspicious = [p for p in document["pairs"] if p["suspicious"]]
    assert len(suspicious) >= 5 and ("ann", "ben") in {(p["a"], p["b"]) for p in suspicious}
    assert [(p["a"], p["b"]) for p in drawn] == [(p["a"], p["b"]) for p in suspicious][:SIDE_BY_SIDE_PAIRS]
    for pair, expected in zip(drawn, suspicious, strict=False):  # the first few are drawn
        regions = {(_dash(r["a_lines"]), _dash(r["b_lines"])): r for r in expected["regions"]}
        assert len(pair["regions"]) == min(len(regions), REGIONS_PER_PAIR)
        for region in pair["regions"]:
            spans = regions[region["lines"]]  # a region grader similarity found
            for side, lines, span in zip(
                region["sides"],
                (sources[pair["a"]], sources[pair["b"]]),
                (spans["a_lines"], spans["b_lines"]),
                strict=True,
            ):
                shown = min(span[1], span[0] + REGION_LINES - 1)  # a longer run is cut, and says so
                assert rows_of(side, "match") == numbered(lines, span[0], shown)
                assert [r["cells"][1] for r in side if r["class"] == "gap"] == (
                    [f"{span[1] - shown} more matching lines, to line {span[1]}"] if shown < span[1] else []
                )
                assert rows_of(side, "context") == numbered(
                    lines, span[0] - CONTEXT_LINES, span[0] - 1
                ) + numbered(lines, span[1] + 1, span[1] + CONTEXT_LINES)
    ann_ben = drawn[[(p["a"], p["b"]) for p in drawn].index(("ann", "ben"))]
    ids = SideBySide(dom).row_ids
    assert len(ann_ben["links"]) == 2 and all(link[1:] in ids for link in ann_ben["links"])
    assert all(link.startswith("#row-student-") for link in ann_ben["links"])
    matched = [
        row["cells"][1]
        for region in ann_ben["regions"]
        for row in region["sides"][1]
        if row["class"] == "match"
    ]
    assert HOSTILE_LINE in matched  # the markup is a line of code, as text
    assert_inert_markup(Document(dom))


@pytest.mark.slow
def test_a_line_of_markup_is_escaped_in_the_page(similar_report):
    text = similar_report[0].read_text(encoding="utf-8")
    assert (
        "    # &lt;script&gt;alert(1)&lt;/script&gt; &quot;double&quot; &#x27;single&#x27; "
        "&amp;amp; a &lt; b &gt; c"
    ) in text
    assert "<script" not in text


def rows_of(side: list[dict], kind: str) -> list[tuple[int, str]]:
    return [(int(row["cells"][0]), row["cells"][1]) for row in side if row["class"] == kind]


def numbered(lines: list[str], first: int, last: int) -> list[tuple[int, str]]:
    """Lines first to last of a file (1-based), those that exist, with their numbers."""
    return [(n, lines[n - 1]) for n in range(max(first, 1), min(last, len(lines)) + 1)]


def _dash(span: list[int]) -> str:
    return f"{span[0]}–{span[1]}"


def pair_of(a: str, b: str, score: float, **fields) -> dict:
    return {
        "a": a,
        "b": b,
        "score": score,
        "suspicious": score >= 0.4,
        "cluster": None,
        "regions": [{"a_lines": [1, 2], "b_lines": [2, 3]}],
        **fields,
    }


def test_the_side_by_side_view_draws_the_top_pairs_and_counts_the_rest():
    pairs = [pair_of(f"s{i}", f"t{i}", 0.99 - i / 100) for i in range(25)] + [pair_of("u", "v", 0.2)]
    files = {name: ["one", "two", "three", "four"] for p in pairs for name in (p["a"], p["b"])}
    section = similarity_section(Similar(pairs, [], files, suspicious_total=31))
    drawn = SideBySide(section).pairs
    assert [(p["a"], p["b"]) for p in drawn] == [(f"s{i}", f"t{i}") for i in range(SIDE_BY_SIDE_PAIRS)]
    assert f"{31 - SIDE_BY_SIDE_PAIRS} more suspicious pair(s) not drawn" in section
    assert 'href="#pair-20"' in section and 'href="#pair-21"' not in section


def test_a_long_region_and_a_long_line_are_cut_and_counted():
    lines = [f"x{n} = {n}" for n in range(1, 301)]
    lines[9] = "y" * 1000
    section = similarity_section(
        Similar(
            [pair_of("a", "b", 0.9, regions=[{"a_lines": [10, 200], "b_lines": [290, 299]}])],
            [],
            {"a": lines, "b": lines},
        )
    )
    (region,) = SideBySide(section).pairs[0]["regions"]
    left, right = region["sides"]
    assert len(rows_of(left, "match")) == REGION_LINES
    assert rows_of(left, "match")[0] == (10, "y" * 200 + f" … {1000 - 200} more characters")
    assert [r["cells"][1] for r in left if r["class"] == "gap"] == [
        f"{191 - REGION_LINES} more matching lines, to line 200"
    ]
    assert rows_of(right, "match") == numbered(lines, 290, 299)
    assert rows_of(right, "context") == numbered(lines, 288, 289) + numbered(lines, 300, 301)


ODD_DOCUMENTS = {
    "not json": "{pairs: [",
    "a list": "[1, 2]",
    "pairs not a list": json.dumps({"pairs": 3, "clusters": []}),
    "no clusters, files nor settings": json.dumps({"pairs": [pair_of("a", "b", 0.9)]}),
    "odd fields": json.dumps(
        {
            "pairs": [
                {"a": 1, "b": None, "score": "high", "suspicious": "yes", "regions": 5},
                {
                    "a": "a",
                    "b": "b",
                    "score": 0.8,
                    "cluster": [1],
                    "a_share": "x",
                    "regions": [
                        7,
                        {"a_lines": [5, 2], "b_lines": [1]},
                        {"a_lines": [True, 3]},
                        {"a_lines": [1, 2]},
                        {"a_lines": [900, 905], "b_lines": [1, 2]},
                        {"a_lines": [1.5, 2], "b_lines": [1, 2]},
                    ],
                },
                "not a pair",
            ],
            "clusters": [{"id": {"x": 1}, "members": 7}, {"members": ["a", 2]}, 3],
            "files": {"a": ["x = 1", 2, None], "b": "not a list"},
            "settings": {"threshold": "strict"},
            "suspicious_pairs": "many",
        }
    ),
    "nested too deep": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("text", ODD_DOCUMENTS.values(), ids=ODD_DOCUMENTS)
def test_an_odd_similarity_file_gives_a_section_not_a_traceback(text, tmp_path):
    (tmp_path / "similarity.json").write_text(text, encoding="utf-8")
    similar = read_similarity(tmp_path)
    assert similar is not None
    section = similarity_section(similar, {"a": "student-1"})
    assert section.startswith('<section id="similarity">') and section.endswith("</section>")
    assert_inert_markup(Document(section))
    if similar.problem:
        assert "run `grader similarity` again" in section


def test_what_an_odd_file_lacks_is_shown_as_missing(tmp_path):
    (tmp_path / "similarity.json").write_text(ODD_DOCUMENTS["odd fields"], encoding="utf-8")
    section = similarity_section(read_similarity(tmp_path))  # type: ignore[arg-type]
    drawn = SideBySide(section).pairs
    assert [(p["a"], p["b"]) for p in drawn] == [("a", "b")]  # by its score, 0.8 from 0.4
    assert [r["lines"] for r in drawn[0]["regions"]] == [("900–905", "1–2")]  # the one readable
    assert "beyond the end of the file (3 lines)" in section
    assert "its text is not in similarity.json" in section
    assert read_similarity(tmp_path / "nowhere") is None and read_similarity(None) is None
