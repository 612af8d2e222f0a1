"""What student code writes is bounded on the trusted side and shown, never obeyed: no escape
sequence reaches a terminal, every file format stays valid, and a 4 MB name stays small."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from junitparser import JUnitXml
from rich.console import Console

from grader import problems, untrusted_text
from grader.cli import main
from grader.gradebook.standing import graded_batch
from grader.gradebook.store import Gradebook
from grader.outputs.canvas import canvas_csv
from grader.outputs.class_table import BatchStatistics, GradebookTable
from grader.outputs.csv_gradebook import gradebook_csv
from grader.outputs.gradescope import results_json
from grader.outputs.junit import junit_xml
from grader.outputs.markdown import markdown_report
from grader.outputs.submission_report import SubmissionReport
from grader.results import GradedTest, SubmissionResult
from grader.student import StudentProxy, _number
from grader.wire import protocol
from grader.worker_client import _describe_exit, _import_problem

MB = 1024 * 1024
HOSTILE = (
    "\x1b[31mred\x1b[0m \x1b]52;c;cm0gLXJmIH4=\x07 \x1b]0;pwned\x1b\\ \x9b2J"
    " \x00\x0b\x0c\x7f"
    " over\rwritten \ud800 \u202egnp.exe \ufffe [red]x[/red] [link=https://evil]click[/link]"
    " <script>alert(1)</script> | a | b | `code` ![i](https://evil/x.png)"
)
CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
RICH_STYLE = re.compile("\x1b\\[[0-9;]*m")


def assert_no_controls(text: str) -> None:
    found = sorted(set(CONTROL.findall(text.replace("\n", "").replace("\t", ""))))
    assert not found, found


def hostile_result(
    submission_id: str = "=cmd|' /C calc'!A0[red]x[/red]\x1b]0;t\x07", *, problem: str = ""
) -> SubmissionResult:
    huge = HOSTILE + "x" * (4 * MB) + HOSTILE
    tests = [
        GradedTest(
            name=f"test_{HOSTILE}",
            nodeid="t::a",
            question="q1",
            visibility="visible",
            max_score=2,
            status="crashed",
            message=huge,
            traceback=huge,
            misconception=None,
        ),
        GradedTest(
            name="test_b",
            nodeid="t::b",
            question="q1",
            visibility="hidden",
            max_score=1,
            status="failed",
            message=HOSTILE,
        ),
        GradedTest(
            name="test_c",
            nodeid="t::c",
            question="q2",
            visibility="visible",
            max_score=1,
            score=1,
            status="passed",
        ),
    ]
    return SubmissionResult(
        submission_id,
        "second_order",
        "grade",
        tests=tests,
        output=huge,
        problem=problem,
        notes=[HOSTILE] * 1000,
    )


# The one place that bounds and escapes


def test_escaping_leaves_no_control_character_and_keeps_lines():
    escaped = untrusted_text.escape_controls(HOSTILE + "\nnext\tline\r\n")
    assert_no_controls(escaped)
    assert "\\x1b]52;c;" in escaped and "\\x9b" in escaped and "\\ud800" in escaped
    assert escaped.endswith("\nnext\tline\n")
    assert untrusted_text.escape_controls(escaped) == escaped


def test_bounded_text_is_short_says_what_went_and_is_stable():
    text = "head " + "\x1b" * (4 * MB) + " tail"
    short = untrusted_text.bounded(text, 4096)
    assert len(short) <= 4096 and short.startswith("head ") and short.endswith(" tail")
    assert "characters left out" in short
    assert_no_controls(short)
    assert untrusted_text.bounded(short, 4096) == short


@pytest.mark.parametrize(
    "value,expected", [(None, ""), ([1], ""), ({"a": 1}, ""), (3, "3"), (True, "True"), ("a\x1bb", "a\\x1bb")]
)
def test_a_reply_field_is_text_only_if_it_was_a_scalar(value, expected):
    assert untrusted_text.from_worker(value, 100) == expected


def test_a_list_from_a_worker_keeps_a_few_short_entries():
    names = untrusted_text.strings_from_worker(["x" * MB] * 10_000 + [3, None])
    assert len(names) == untrusted_text.ITEMS and names[-1] == "… and 9939 more"
    assert all(len(n) <= untrusted_text.NAME for n in names)
    assert untrusted_text.strings_from_worker(names) == names
    assert untrusted_text.strings_from_worker("not a list") == []


def test_markdown_and_csv_cells_are_inert():
    assert untrusted_text.for_markdown("<b>`x`|[a](b)") == "&lt;b&gt;\\`x\\`\\|\\[a\\](b)"
    for formula in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx"):
        assert untrusted_text.for_csv(formula).startswith("'")
    assert untrusted_text.for_csv("ann") == "ann"


# Bounded where replies are read, and again in the result model


def test_a_4_mb_type_name_and_message_give_a_small_result():
    error = {
        "kind": "raised",
        "type": "E" * (4 * MB),
        "message": HOSTILE + "m" * (4 * MB),
        "traceback": "t" * (4 * MB),
        "function": "f" * MB,
    }
    proxy = StudentProxy(None, question="q1", call_seconds=1.0, memory_mib=64)
    with pytest.raises(problems.StudentRaised) as raised:
        proxy._read_reply({"ok": False, "error": error}, "f(x)")
    problem = raised.value
    assert len(problem.message) < 6000 and len(problem.traceback) <= untrusted_text.TRACEBACK
    assert_no_controls(problem.message)
    imported = _import_problem(error)
    assert len(imported.message) < 6000 and len(imported.traceback) <= untrusted_text.TRACEBACK
    test = GradedTest(
        "t",
        "t::t",
        "q1",
        "visible",
        1.0,
        status=problem.status,
        message=problem.message,
        traceback=problem.traceback,
    )
    result = SubmissionResult("ann", "second_order", "grade", tests=[test] * 20)
    assert len(results_json(result)) < MB // 4
    assert len(json.dumps(result.to_dict())) < MB // 4


def test_reply_lists_and_numbers_are_bounded():
    proxy = StudentProxy(None, question="q1", call_seconds=1.0, memory_mib=64)
    raw = {
        "ok": True,
        "value": 1,
        "modified": ["x" * MB] * 5000,
        "forbidden": "hessian",
        "seconds": float("nan"),
        protocol.BLOBS: [],
    }
    reply = proxy._read_reply(raw, "f(x)")
    assert len(reply.modified_inputs) == untrusted_text.ITEMS and reply.forbidden_calls == []
    assert reply.seconds == 0.0
    assert [_number(v) for v in (float("inf"), -1, 10**400, True, "3", 2.5)] == [0, 0, 0, 0, 0, 2.5]


def test_an_exit_code_no_process_can_have_is_described_briefly():
    assert "unknown status" in _describe_exit(10**4000, "running f").message
    assert "unknown status" in _describe_exit(-(10**4000), "running f").message


def test_the_result_model_bounds_on_construction_loading_and_assignment():
    result = hostile_result()
    saved = json.dumps(result.to_dict())
    assert len(saved) < MB
    assert_no_controls(json.loads(saved)["tests"][0]["message"])
    assert SubmissionResult.from_dict(json.loads(saved)).to_dict() == result.to_dict()
    old = hostile_result().to_dict()
    old["tests"][0]["message"] = old["output"] = "\x1b]52;c;x\x07" * MB  # an old gradebook
    assert len(json.dumps(SubmissionResult.from_dict(old).to_dict())) < MB
    result.output = result.problem = "\x1b" * (4 * MB)
    result.tests[1].message = "\x07" * (4 * MB)
    assert len(json.dumps(result.to_dict())) < MB
    assert_no_controls(result.output + result.problem + result.tests[1].message)


# Rendered safely by every output


@pytest.fixture
def batch():
    return [
        hostile_result(),
        hostile_result("ann"),
        hostile_result("-bob\x1b[2J", problem=f"bob.zip: {HOSTILE}"),
    ]


def render(renderable, *, terminal: bool, width: int = 120) -> str:
    stream = io.StringIO()
    console = Console(
        file=stream,
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
        width=width,
        legacy_windows=False,
    )
    console.print(renderable)
    return stream.getvalue()


@pytest.mark.parametrize("terminal", [False, True])
def test_the_terminal_report_shows_markup_literally_and_sends_no_escape_sequence(batch, terminal):
    questions = ["q1", "q2"]
    for renderable in (
        *map(SubmissionReport, batch),
        GradebookTable(graded_batch(batch, questions=questions)),
        BatchStatistics(batch, questions),
    ):
        text = render(renderable, terminal=terminal)
        assert_no_controls(RICH_STYLE.sub("", text))
    plain = render(SubmissionReport(batch[0]), terminal=False)
    assert plain.count("[red]x[/red]") >= 3  # in the title, a test's name and its message
    assert "[link=https://evil]click[/link]" in plain and "\\x1b]52;c;" in plain
    summary = render(GradebookTable(graded_batch(batch, questions=questions)), terminal=False, width=10_000)
    assert "A0[red]x[/red]\\x1b]0;t\\x07" in summary  # an id
    assert "[link=https://evil]click[/link]" in summary  # a problem


def test_grader_show_sends_no_escape_sequence(batch, tmp_path, capsys):
    gradebook = Gradebook.in_folder(tmp_path)
    for result in batch:
        gradebook.record(result, "digest", "1")
    gradebook.close()
    assert main(["show", str(tmp_path)]) == 0
    assert main(["show", str(tmp_path), batch[0].submission_id, "ann"]) == 0
    assert main(["show", str(tmp_path), "nobody"]) != 0
    captured = capsys.readouterr()
    assert_no_controls(captured.out + captured.err)
    assert "[red]x[/red]" in captured.out and len(captured.out) < MB


def test_junit_is_valid_xml_whatever_the_student_wrote(batch):
    text = junit_xml(batch)
    assert_no_controls(text)
    root = ET.fromstring(text.encode("utf-8"))
    assert len(root.findall("testsuite")) == 3
    suites = list(JUnitXml.fromstring(text.encode("utf-8")))
    assert [s.errors for s in suites] == [1, 1, 1] and [s.failures for s in suites] == [1, 1, 1]
    assert "<script>" in root.find("testsuite/testcase/error").text  # shown as written


def test_markdown_shows_student_text_without_html_links_or_cells(batch):
    text = "\n".join(markdown_report(result) for result in batch)
    assert_no_controls(text)
    assert "<script" not in text and "](https://evil" not in text.replace("\\](", "")
    assert not re.search(r"(?<!\\)\[(red|link)", text)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", row)) == 4 for row in rows)
    failing = [line for line in text.splitlines() if line.startswith("- **")]
    assert failing and not any(re.search(r"(?<!\\)`", line) for line in failing)


def test_csv_cells_are_escaped_and_never_formulas(batch):
    for text in (gradebook_csv(batch, ["q1", "q2"], 4.0), canvas_csv(batch, "=Homework", 4.0)):
        assert_no_controls(text.replace("\r\n", "\n"))  # csv's own line ends
        rows = list(csv.reader(io.StringIO(text)))
        cells = [cell for row in rows[1:] for cell in row]
        assert not [
            c
            for c in cells
            if c.startswith(("=", "+", "@"))
            or (c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit())
        ]
    rows = list(csv.reader(io.StringIO(gradebook_csv(batch, ["q1", "q2"], 4.0))))
    assert rows[1][0] == "'-bob\\x1b[2J" and rows[1][1] == "1"  # a number: not guarded


def test_gradescope_results_are_small_plain_text(batch):
    for result in batch:
        text = results_json(result)
        assert len(text) < MB // 2
        document = json.loads(text)
        assert document["output_format"] == "text"
        assert_no_controls(json.dumps(document, ensure_ascii=False))


# End to end: a submission that tries all of it

HOSTILE_SUBMISSION = f"""
import sys

def first_order_grads(x, y):
    print({HOSTILE.replace(chr(0xD800), "")!r} * 3)  # print cannot encode a lone surrogate
    sys.stderr.write("\\x1b]52;c;" + "A" * (1 << 22) + "\\x07\\x9b")
    raise type("E" * (4 << 20), (Exception,), {{}})({HOSTILE!r} + "m" * (4 << 20))
"""


@pytest.mark.slow
def test_a_hostile_submission_is_graded_small_and_shown_inert(tmp_path, capsys):
    source = tmp_path / "second_order.py"
    source.write_text(HOSTILE_SUBMISSION)
    saved = tmp_path / "r.json"
    code = main(["check", str(source), "--question", "first_order_grads", "--json", str(saved)])
    assert code == 1
    captured = capsys.readouterr()
    assert_no_controls(captured.out + captured.err)
    assert "[red]x[/red]" in captured.out and "E" * 64 in captured.out
    assert saved.stat().st_size < MB
    result = SubmissionResult.from_dict(json.loads(saved.read_text()))
    assert any(t.status == "error" for t in result.tests)
    ET.fromstring(junit_xml([result]))
    assert len(results_json(result)) < MB


def test_first_names_lists_a_few_and_says_more_were_left_out():
    from grader.untrusted_text import first_names

    assert first_names(["a", "b", "c"], most=3) == "a, b, c"
    assert first_names(["a", "b", "c", "d"], most=3) == "a, b, c, …"
    assert first_names([]) == ""
