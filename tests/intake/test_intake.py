"""Submission intake holds against hostile files: it never follows a link, reads only regular
files and only so much of them, turns anything malformed into a one-line reason (a zero row,
never the end of a batch), keeps two students apart, and stops cleanly when the output disk
is full without losing what was recorded.

Every hostile file is built here, in tmp_path, from zipfile, raw bytes and os.symlink.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import sqlite3
import stat
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

import grader.commands.grade as grade_command
import grader.intake.submission as submission_module
import grader.intake.zip_archive as zip_reader
from grader.cli import main
from grader.commands.grade import grade_batch, record_batch
from grader.course.assignment import find_assignment
from grader.errors import GraderError, SubmissionError
from grader.gradebook.store import Gradebook
from grader.intake.collect import expand_submissions
from grader.intake.files import read_capped
from grader.intake.fingerprint import content_hash, folder_hash
from grader.intake.submission import Submission, submission_id
from grader.results import GradedTest, SubmissionResult
from tests.conftest import REFERENCE, SUBMISSIONS

CORRECT = SUBMISSIONS / "second_order" / "correct_compact.py"
BACKWARD_STYLE = SUBMISSIONS / "second_order" / "correct_backward_style.py"
ASSIGNMENT = find_assignment("second_order")
QUIET = Console(file=open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the module


def install(path: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    workdir = tmp_path / "workdir"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    return Submission.at(path, ASSIGNMENT).install(ASSIGNMENT, workdir)


def refusal(path: Path, tmp_path: Path) -> str:
    """The one-line reason `path` is refused with; it must be a SubmissionError."""
    with pytest.raises(SubmissionError) as caught:
        install(path, tmp_path)
    message = str(caught.value)
    assert "\n" not in message and message.isprintable(), message
    return message


# --- hostile fixture builders ------------------------------------------------------------


def make_zip(path: Path, members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return path


def patch_headers(path: Path, *, flag: int | None = None, method: int | None = None) -> Path:
    """Set the general-purpose flag or the compression method in every header, raw."""
    data = bytearray(path.read_bytes())
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = data.find(signature)
        while start >= 0:
            if flag is not None:
                old = struct.unpack_from("<H", data, start + flag_at)[0]
                struct.pack_into("<H", data, start + flag_at, old | flag)
            if method is not None:
                struct.pack_into("<H", data, start + method_at, method)
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    return path


def notebook(path: Path, cells: object, **extra: object) -> Path:
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **extra}))
    return path


def code_cell(source: object) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {}, "outputs": [], "execution_count": None}


def folder_with(path: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    path.mkdir(exist_ok=True)
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


Builder = Callable[[Path], Path]
GOOD = CORRECT.read_bytes()

MALFORMED: dict[str, tuple[Builder, str]] = {
    "zip_only_dot_members": (
        lambda d: make_zip(d / "dots.zip", {".": b"x", "./": b""}),
        "no second_order.py",
    ),
    "zip_file_and_folder_same_name": (
        lambda d: make_zip(d / "clash.zip", {"second_order.py": GOOD, "second_order.py/x": b"1"}),
        "both named second_order.py",
    ),
    "zip_same_name_twice": (
        lambda d: make_zip(d / "twice.zip", {"a/second_order.py": GOOD, "a\\second_order.py": b""}),
        "twice",
    ),
    "zip_encrypted": (
        lambda d: patch_headers(make_zip(d / "locked.zip", {"second_order.py": GOOD}), flag=1),
        "encrypted",
    ),
    "zip_unknown_method": (
        lambda d: patch_headers(make_zip(d / "method.zip", {"second_order.py": GOOD}), method=99),
        "method 99",
    ),
    "zip_300_character_name": (
        lambda d: make_zip(d / "long.zip", {"a" * 300 + ".py": b"x = 1", "second_order.py": GOOD}),
        "longer than the file system allows",
    ),
    "zip_absolute_path": (
        lambda d: make_zip(d / "abs.zip", {"/tmp/second_order.py": GOOD}),
        "outside its folder",
    ),
    "zip_parent_path": (
        lambda d: make_zip(d / "up.zip", {"a/../../second_order.py": GOOD}),
        "outside its folder",
    ),
    "zip_control_characters_in_a_name": (
        lambda d: make_zip(d / "ctl.zip", {"\x1b]52;c;aGk=\x07\n/../x.py": b""}),
        "outside its folder",
    ),
    "zip_too_many_members": (
        lambda d: make_zip(
            d / "many.zip", {f"f{i}.txt": b"" for i in range(2001)}, method=zipfile.ZIP_STORED
        ),
        "more than 2000 files",
    ),
    "zip_bomb": (
        lambda d: make_zip(d / "bomb.zip", {"second_order.py": b"\0" * (51 * 2**20)}),
        "unpacks to more than 50 MiB",
    ),
    "zip_truncated": (
        lambda d: (
            (d / "cut.zip").write_bytes(
                make_zip(d / "whole.zip", {"second_order.py": GOOD}).read_bytes()[:200]
            )
            and d / "cut.zip"
        ),
        "not a readable zip file",
    ),
    "zip_corrupt_data": (
        lambda d: _corrupt(make_zip(d / "rot.zip", {"second_order.py": GOOD})),
        "not a readable zip file",
    ),
    "zip_that_is_not_a_zip": (
        lambda d: (d / "text.zip").write_text("hello") and d / "text.zip",
        "not a readable zip",
    ),
    "notebook_source_int": (
        lambda d: notebook(d / "second_order.ipynb", [code_cell(42)]),
        "cell 1's source is int",
    ),
    "notebook_source_dict": (
        lambda d: notebook(d / "second_order.ipynb", [code_cell({"a": 1})]),
        "source is dict",
    ),
    "notebook_source_list_of_ints": (
        lambda d: notebook(d / "second_order.ipynb", [code_cell(["x = 1\n", 2])]),
        "source is list",
    ),
    "notebook_source_null": (
        lambda d: notebook(
            d / "second_order.ipynb", [{"cell_type": "markdown", "source": "# hi"}, code_cell(None)]
        ),
        "cell 2's source is NoneType",
    ),
    "notebook_not_json": (
        lambda d: (
            (d / "second_order.ipynb").write_bytes(b"\x89PNG\r\n not json") and d / "second_order.ipynb"
        ),
        "not JSON",
    ),
    "notebook_nested_too_deep": (
        lambda d: (d / "second_order.ipynb").write_text("[" * 200_000) and d / "second_order.ipynb",
        "not a readable notebook",
    ),
    "notebook_cell_without_type": (
        lambda d: notebook(d / "second_order.ipynb", [{"source": "x = 1"}]),
        "no cell_type",
    ),
    "notebook_cells_not_a_list": (
        lambda d: notebook(d / "second_order.ipynb", {"0": code_cell("x = 1")}),
        "no list of cells",
    ),
    "notebook_that_is_a_list": (
        lambda d: (d / "second_order.ipynb").write_text("[1, 2]") and d / "second_order.ipynb",
        "not a readable notebook",
    ),
    "python_not_utf8": (
        lambda d: (d / "second_order.py").write_bytes(b"x = '\xe9t\xe9'\n") and d / "second_order.py",
        "not UTF-8",
    ),
    "python_null_bytes": (
        lambda d: (d / "second_order.py").write_bytes(GOOD + b"\0\0") and d / "second_order.py",
        "null bytes",
    ),
    "empty_folder": (lambda d: folder_with(d / "empty", {}), "no second_order.py"),
    "fifo_as_the_file": (lambda d: fifo(folder_with(d / "piped", {}) / "second_order.py"), "named pipe"),
    "fifo_in_a_folder": (
        lambda d: (fifo(folder_with(d / "pipes", {}) / "second_order.py"), d / "pipes")[1],
        "named pipe",
    ),
    "folder_named_like_the_file": (
        lambda d: folder_with(d / "dir", {"second_order.py/.keep": b""}),
        "no second_order.py",
    ),
    "unsupported_format": (
        lambda d: (d / "carol.rar").write_bytes(b"Rar!\x1a\x07\x00") and d / "carol.rar",
        "not a supported submission format",
    ),
}


def _corrupt(path: Path) -> Path:
    """Flip bytes in the compressed data (after the local header and the name)."""
    data = bytearray(path.read_bytes())
    start = 30 + len("second_order.py")
    for i in range(start + 10, start + 40):
        data[i] ^= 0xA5
    path.write_bytes(bytes(data))
    return path


# --- 1. intake never follows a link ----------------------------------------------------


def test_linked_folder_entries_are_zero_rows_never_their_targets(tmp_path):
    batch = tmp_path / "export"
    batch.mkdir()
    other = folder_with(batch / "bob", {"second_order.py": GOOD})
    os.symlink("/proc/self/cwd/reference/second_order", batch / "notes")
    os.symlink(REFERENCE / "second_order", batch / "reference")
    os.symlink(other, batch / "copycat")
    os.symlink("/proc/self/pagemap", batch / "pagemap.py")
    os.symlink(CORRECT, batch / "second-order-linked.py")
    os.symlink(batch / "missing", batch / "dangling")

    submissions = {s.id: s for s in expand_submissions([batch], ASSIGNMENT)}
    assert set(submissions) == {"bob", "notes", "reference", "copycat", "pagemap", "linked", "dangling"}
    hashes = {i: content_hash(s.path) for i, s in submissions.items()}  # must not raise
    assert hashes["copycat"] != hashes["bob"]
    assert hashes["reference"] != content_hash(REFERENCE / "second_order")
    for name, submission in submissions.items():
        if name != "bob":
            assert "symbolic link: refused" in refusal(submission.path, tmp_path), name
    install(other, tmp_path)  # the student linked to is graded as themselves


def test_links_pipes_and_devices_inside_a_folder_are_never_read_or_copied(tmp_path):
    folder = folder_with(
        tmp_path / "alice", {"second_order.py": GOOD, "helper.py": b"K = 1", "data/table.csv": b"1,2"}
    )
    os.symlink("/etc/passwd", folder / "passwd.txt")
    os.symlink(REFERENCE / "second_order", folder / "data" / "reference")
    os.symlink("/proc/self/pagemap", folder / "pagemap")
    fifo(folder / "pipe.py")
    with contextlib.suppress(PermissionError):  # not allowed here: the pipe stands for the device
        os.mknod(folder / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    module, _ = install(folder, tmp_path)
    workdir = module.parent
    copied = sorted(str(p.relative_to(workdir)) for p in workdir.rglob("*"))
    assert copied == ["data", "data/table.csv", "helper.py", "second_order.py"]
    assert not any(p.is_symlink() for p in workdir.rglob("*"))
    assert content_hash(folder) == content_hash(folder)  # stable, and never opened the pipe


def test_a_link_named_like_the_assignment_file_is_refused_in_a_zip_too(tmp_path):
    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("second_order.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, str(REFERENCE / "second_order" / "second_order.py"))
    assert "no second_order.py" in refusal(path, tmp_path)


def test_every_read_is_capped(tmp_path, monkeypatch):
    sparse = tmp_path / "second_order.py"
    with open(sparse, "wb") as stream:
        stream.truncate(8 * 2**30)  # 8 GiB that take no disk: only cap + 1 bytes are read
    assert "more than 50 MiB: refused" in refusal(sparse, tmp_path)
    with pytest.raises(SubmissionError, match="more than 10 bytes"):
        read_capped(sparse, 10)
    notebook_path = notebook(tmp_path / "big.ipynb", [code_cell("x = 1\n" * 10)])
    monkeypatch.setattr(submission_module, "MAX_FILE_BYTES", 64)
    assert "more than 64 bytes" in refusal(notebook_path, tmp_path)


def test_helper_files_are_capped_in_number_and_size(tmp_path, monkeypatch):
    folder = folder_with(
        tmp_path / "helpers",
        {"second_order.py": GOOD, **{f"lib/m{i}.py": b"x = 1\n" * 100 for i in range(5)}},
    )
    monkeypatch.setattr(submission_module, "MAX_FOLDER_FILES", 4)
    assert "more than 4 files" in refusal(folder, tmp_path)
    monkeypatch.setattr(submission_module, "MAX_FOLDER_FILES", 1000)
    monkeypatch.setattr(submission_module, "MAX_FOLDER_BYTES", 2000)
    assert "holds 3000 bytes, more than the 2000 bytes allowed" in refusal(folder, tmp_path)


def test_hashes_never_follow_links(tmp_path):
    first = folder_with(tmp_path / "one", {"second_order.py": GOOD})
    second = folder_with(tmp_path / "two", {"second_order.py": GOOD})
    os.symlink(tmp_path / "target-a", first / "extra")
    os.symlink(tmp_path / "target-b", second / "extra")
    assert content_hash(first) != content_hash(second)  # by the name each link holds
    (tmp_path / "target-a").write_text("changes nothing")
    before = content_hash(first)
    (tmp_path / "target-a").write_text("still nothing")
    assert content_hash(first) == before
    assessed = folder_with(tmp_path / "assignment", {"a.py": b"x"})
    os.symlink("/proc/self/pagemap", assessed / "pagemap")
    assert len(folder_hash([assessed])) == 16


# --- 2. anything malformed is a one-line reason ------------------------------------------


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_submissions_are_refused_in_one_line(tmp_path, name):
    build, expected = MALFORMED[name]
    source = tmp_path / "in"
    source.mkdir()
    path = build(source)
    assert expected in refusal(path, tmp_path)
    assert content_hash(path) == content_hash(path)  # hashing it never raises either


def test_members_named_dot_are_ignored_beside_a_good_file(tmp_path):
    path = make_zip(tmp_path / "dots.zip", {".": b"x", "./": b"", "./second_order.py": GOOD})
    module, _ = install(path, tmp_path)
    assert module.read_bytes() == GOOD


def test_a_notebook_with_list_sources_and_a_v3_notebook_still_install(tmp_path):
    modern = notebook(
        tmp_path / "second_order.ipynb",
        [{"cell_type": "markdown", "source": ["# title"]}, code_cell(["def f():\n", "    return 1\n"])],
    )
    assert "return 1" in install(modern, tmp_path)[0].read_text()
    legacy = tmp_path / "legacy" / "second_order.ipynb"
    legacy.parent.mkdir()
    legacy.write_text(
        json.dumps(
            {
                "nbformat": 3,
                "worksheets": [
                    {"cells": [{"cell_type": "code", "input": ["y = 2\n"], "language": "python"}]}
                ],
            }
        )
    )
    assert "y = 2" in install(legacy, tmp_path)[0].read_text()


def test_the_directory_listing_of_a_zip_is_bounded(tmp_path, monkeypatch):
    path = make_zip(
        tmp_path / "wide.zip", {f"{'n' * 100}{i}.txt": b"" for i in range(1000)}, method=zipfile.ZIP_STORED
    )
    monkeypatch.setattr(zip_reader, "MAX_DIRECTORY_BYTES", 1024)
    assert "list of files is larger" in refusal(path, tmp_path)


def test_any_unexpected_error_leaves_install_as_a_submission_error(tmp_path, monkeypatch):
    def broken(data: bytes, name: str) -> None:
        raise KeyError("an internal surprise\nwith a second line")

    monkeypatch.setattr(submission_module, "notebook_module", broken)
    message = refusal(notebook(tmp_path / "second_order.ipynb", []), tmp_path)
    assert message.startswith("second_order.ipynb: cannot be read (KeyError: ")


# --- 3. ids never collide ---------------------------------------------------------------


def test_canvas_names_keep_the_user_id(tmp_path):
    assert submission_id(Path("smithjane_12345_67890_second_order.py")) == "smithjane_12345"
    assert submission_id(Path("smithjane_late_222_333_second_order-1.ipynb")) == "smithjane_222"
    batch = folder_with(
        tmp_path / "canvas",
        {
            "smithjane_12345_67890_second_order.py": GOOD,
            "smithjane_late_54321_11111_second_order.py": GOOD,
            "second_order-..": b"",
        },
    )
    ids = [s.id for s in expand_submissions([batch], ASSIGNMENT)]
    assert ids == ["second_order-..", "smithjane_12345", "smithjane_54321"]


def test_a_remaining_collision_is_refused_naming_both_files(tmp_path):
    batch = folder_with(tmp_path / "batch", {"alice.py": GOOD, "alice.zip": b""})
    with pytest.raises(GraderError, match="alice.py and .*alice.zip"):
        expand_submissions([batch], ASSIGNMENT)


def result_for(submission: str, score: float) -> SubmissionResult:
    test = GradedTest(
        name="t",
        nodeid="tests/test_public.py::t",
        question="hvp",
        visibility="visible",
        max_score=10,
        score=score,
        status="passed",
    )
    return SubmissionResult(submission, "second_order", "grade", tests=[test])


def test_two_students_with_one_login_are_two_rows_across_two_runs(tmp_path):
    first = tmp_path / "first" / "smithjane_12345_67890_second_order.py"
    second = tmp_path / "second" / "smithjane_54321_99999_second_order.py"
    for path in (first, second):
        folder_with(path.parent, {path.name: GOOD})
    out = tmp_path / "out"
    for path, score in ((first, 10), (second, 4)):  # two runs into one --out
        (submission,) = expand_submissions([path], ASSIGNMENT)
        gradebook = Gradebook.in_folder(out)
        gradebook.record(result_for(submission.id, score), content_hash(path), "v1")
        gradebook.close()
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = dict(db.execute("SELECT id, score FROM submissions"))
    assert rows == {"smithjane_12345": 10, "smithjane_54321": 4}


# --- 4. a full output disk stops the batch in one line, losing nothing -------------------


def test_a_failing_results_json_stops_the_batch_and_keeps_what_was_recorded(tmp_path, monkeypatch):
    out = tmp_path / "out"
    real_write = grade_command.write_text_atomic
    written = []

    def fills_up(path: Path, text: str) -> None:
        if written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        written.append(path)
        real_write(path, text)

    monkeypatch.setattr(grade_command, "write_text_atomic", fills_up)
    gradebook = Gradebook.in_folder(out)
    results = [result_for("ann", 10), result_for("ben", 5), result_for("cat", 7)]
    hashes = {r.submission_id: "h" for r in results}
    with pytest.raises(GraderError) as caught:
        record_batch(iter(results), gradebook, hashes, "v1", out, QUIET, total=3)
    message = str(caught.value)
    assert "\n" not in message and str(out) in message and "No space left" in message
    assert "run the same command again" in message
    gradebook.close()
    reopened = Gradebook.in_folder(out)
    assert [r.submission_id for r in reopened.results()] == ["ann"]
    assert (out / "ann" / "results.json").is_file() and not (out / "ben").exists()


def test_a_full_gradebook_rolls_back_one_submission_only(tmp_path):
    out = tmp_path / "out"
    gradebook = Gradebook.in_folder(out)
    record_batch(iter([result_for("ann", 10)]), gradebook, {"ann": "h"}, "v1", out, QUIET, total=1)
    pages = gradebook.connection.execute("PRAGMA page_count").fetchone()[0]
    gradebook.connection.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL from now
    big = result_for("ben", 5)
    big.notes = ["x" * 3000] * 40
    with pytest.raises(GraderError, match="database or disk is full"):
        record_batch(iter([big]), gradebook, {"ben": "h"}, "v1", out, QUIET, total=1)
    assert not gradebook.connection.in_transaction
    gradebook.close()
    assert [r.submission_id for r in Gradebook.in_folder(out).results()] == ["ann"]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 512 KiB filesystem for the output folder, where one can be mounted."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a small filesystem here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_disk_keeps_every_row_recorded_before_it(tiny_disk):
    out = tiny_disk / "out"
    gradebook = Gradebook.in_folder(out)
    results = []
    for index in range(200):
        result = result_for(f"student_{index:03}", 10)
        result.notes = [f"{index} " + "x" * 4000] * 8
        results.append(result)
    hashes = {r.submission_id: "h" for r in results}
    with pytest.raises(GraderError) as caught:
        record_batch(iter(results), gradebook, hashes, "v1", out, QUIET, total=len(results))
    assert "\n" not in str(caught.value) and str(out) in str(caught.value)
    gradebook.close()
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = [row[0] for row in db.execute("SELECT id FROM submissions ORDER BY id")]
    assert rows == [r.submission_id for r in results[: len(rows)]] and len(rows) >= 1
    assert all((out / row / "results.json").is_file() for row in rows)


def test_grade_stops_with_one_line_when_the_output_disk_fills(tmp_path, monkeypatch, capsys):
    batch = folder_with(tmp_path / "batch", {"ann.py": GOOD, "ben.py": GOOD})

    def graded_at_once(settings, submissions, jobs):
        yield from (result_for(s.id, 10) for s in submissions)

    def no_space(path: Path, text: str) -> None:
        raise OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), str(path))

    monkeypatch.setattr(grade_command, "grade_all", graded_at_once)
    monkeypatch.setattr(grade_command, "write_text_atomic", no_space)
    out = tmp_path / "out"
    assert main(["grade", "second_order", str(batch), "--out", str(out), "--no-sandbox"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"grader: error: cannot write to {out} (Disk quota exceeded)")
    assert "\n" not in error and "internal error" not in error


# --- a batch of malformed submissions among correct ones -----------------------------------


BATCH_MALFORMED = (
    "zip_file_and_folder_same_name",
    "zip_encrypted",
    "zip_unknown_method",
    "zip_300_character_name",
    "zip_only_dot_members",
    "notebook_source_int",
    "notebook_not_json",
    "python_null_bytes",
    "fifo_in_a_folder",
    "empty_folder",
    "fifo_as_the_file",
)


@pytest.mark.slow
def test_a_batch_grades_correct_neighbours_of_malformed_submissions(tmp_path):
    from grader.grading import GRADE, Grader, GradingOptions

    batch = tmp_path / "batch"
    batch.mkdir()
    expected_zero = {}
    for name in BATCH_MALFORMED:
        scratch = tmp_path / "build" / name
        scratch.mkdir(parents=True)
        built = MALFORMED[name][0](scratch)
        entry = batch / f"{name}{built.suffix}"
        os.rename(built, entry)
        expected_zero[name] = MALFORMED[name][1]
    os.symlink(REFERENCE / "second_order", batch / "linked_reference")
    expected_zero["linked_reference"] = "symbolic link: refused"
    shutil.copy(CORRECT, batch / "compact.py")
    shutil.copy(BACKWARD_STYLE, batch / "backward.py")
    submissions = expand_submissions([batch], ASSIGNMENT)
    out = tmp_path / "out"
    grader = Grader(
        ASSIGNMENT,
        GradingOptions(mode=GRADE, reference_dir=REFERENCE / "second_order", run_slow=True, sandbox=None),
    )
    try:
        results = {r.submission_id: r for r in grade_batch(grader, submissions, out, QUIET)}
        malformed = [s for s in submissions if s.id in expected_zero]
        again = grade_batch(grader, malformed, out, QUIET)  # a re-run completes too
    finally:
        grader.close()
    full = ASSIGNMENT.total_points
    assert results["compact"].score == full and results["backward"].score == full
    for name, reason in expected_zero.items():
        assert results[name].score == 0 and results[name].tests == [], name
        assert reason in results[name].problem and "\n" not in results[name].problem, name
    assert [r.problem for r in again] == [results[s.id].problem for s in malformed]
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        assert db.execute("SELECT count(*) FROM submissions").fetchone()[0] == len(results)


def test_compiled_modules_beside_the_student_file_are_left_out(tmp_path):
    """A C extension or bytecode would run code no witness beside it can watch."""
    from grader.course.assignment import find_assignment
    from grader.intake.submission import Submission

    top = tmp_path / "alice"
    folder = top / "repository"
    folder.mkdir(parents=True)
    (folder / "second_order.py").write_text("import helper\n")
    (folder / "helper.py").write_text("x = 1\n")
    (folder / "evil.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    (folder / "evil2.pyc").write_bytes(b"\x00" * 16)
    workdir = tmp_path / "work"
    workdir.mkdir()
    Submission.at(top).install(find_assignment("second_order"), workdir)
    assert sorted(p.name for p in workdir.iterdir()) == ["helper.py", "second_order.py"]


def test_a_notebook_that_checked_itself_does_not_import_the_grader(tmp_path):
    """`from grader import check; check(...)` cells are left out of the graded module."""
    import json

    from grader.course.assignment import find_assignment
    from grader.intake.submission import Submission

    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "from grader import check\nimport torch\ncheck('hessian')\nx = 1",
        }
    ]
    path = tmp_path / "second_order.ipynb"
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    workdir = tmp_path / "work"
    workdir.mkdir()
    module_path, _ = Submission.at(path).install(find_assignment("second_order"), workdir)
    text = module_path.read_text()
    assert "from grader" not in text and "import grader" not in text
    assert "import torch" in text and "check('hessian')" in text and "x = 1" in text
    compile(text, "second_order.py", "exec")  # check() is bound to a stand-in that does nothing
