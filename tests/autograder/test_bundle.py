"""The zip `grader gradescope` builds, checked against Gradescope's specification."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from base64 import urlsafe_b64encode
from importlib import metadata
from pathlib import Path

import pytest

from grader.autograder.settings import AutograderSettings
from grader.cli import main
from tests.conftest import ASSIGNMENTS, REFERENCE


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("zip") / "second_order.zip"
    assert (
        main(["gradescope", "second_order", "--out", str(out), "--hidden-visibility", "after_published"]) == 0
    )
    return out


def course_files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def test_the_zip_has_gradescopes_two_scripts_at_its_root_executable(built):
    with zipfile.ZipFile(built) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        for script in ("setup.sh", "run_autograder"):
            assert (infos[script].external_attr >> 16) & 0o111 == 0o111, script
        assert archive.read("run_autograder").startswith(b"#!/bin/sh\n")
        assert b"results.json" in archive.read("run_autograder")
        assert b"download.pytorch.org/whl/cpu" in archive.read("setup.sh")


def test_the_zip_carries_the_course_whole_and_nothing_else(built):
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
        for prefix, folder in (
            ("course/assignments/second_order/", ASSIGNMENTS / "second_order"),
            ("course/reference/second_order/", REFERENCE / "second_order"),
        ):
            files = course_files(folder)
            assert {prefix + name for name in files} == {n for n in names if n.startswith(prefix)}
            for name, data in files.items():
                assert archive.read(prefix + name) == data
        assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
        settings = json.loads(archive.read("autograder.json"))
    assert AutograderSettings(**settings).hidden_visibility == "after_published"
    assert settings["assignment"] == "second_order"


def test_every_dependency_is_pinned_and_torch_is_this_one(built):
    with zipfile.ZipFile(built) as archive:
        lines = [
            line
            for line in archive.read("requirements.txt").decode().splitlines()
            if not line.startswith("#")
        ]
    assert lines[0] == f"torch=={metadata.version('torch')}"
    assert all(line.count("==") == 1 for line in lines)
    pinned = {line.split("==")[0] for line in lines}
    assert {"numpy", "pytest", "rich", "nbformat"} <= pinned and "matplotlib" not in pinned


def test_the_wheel_is_this_grader_and_its_record_holds(built):
    with zipfile.ZipFile(built) as archive:
        (wheel_name,) = [n for n in archive.namelist() if n.startswith("wheels/")]
        wheel = zipfile.ZipFile(io.BytesIO(archive.read(wheel_name)))
    grader_root = Path(__file__).resolve().parents[2] / "grader"
    assert (
        wheel.read("grader/autograder/supervise.py") == (grader_root / "autograder/supervise.py").read_bytes()
    )
    assert (
        wheel.read("grader/autograder/templates/setup.sh")
        == (grader_root / "autograder/templates/setup.sh").read_bytes()
    )
    (record_name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/RECORD")]
    for line in wheel.read(record_name).decode().splitlines():
        name, digest, size = line.rsplit(",", 2)
        if name == record_name:
            continue
        data = wheel.read(name)
        expected = urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={expected}" and int(size) == len(data), name


def test_the_same_course_builds_the_same_zip(built, tmp_path):
    again = tmp_path / "again.zip"
    assert (
        main(["gradescope", "second_order", "--out", str(again), "--hidden-visibility", "after_published"])
        == 0
    )
    assert again.read_bytes() == built.read_bytes()


def test_bad_settings_are_one_line(tmp_path, capsys):
    assert main(["gradescope", "second_order", "--out", str(tmp_path / "x.tar")]) == 2
    assert main(["gradescope", "second_order", "--out", str(tmp_path / "x.zip"), "--timeout", "5"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert errors == [
        f"grader: error: {tmp_path / 'x.tar'}: give a file name ending in .zip",
        "grader: error: invalid timeout 5 s: Gradescope allows 60 to 2400 seconds",
    ]


def test_trying_the_zip_in_a_missing_folder_is_one_line(built, tmp_path, capsys):
    submission = REFERENCE / "second_order" / "second_order.py"
    missing = tmp_path / "not-made"
    assert main(["gradescope-try", str(built), str(submission), "--keep", str(missing)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"grader: error: --keep {missing}: no such folder: make it first, or give an existing one"
    ]
