"""Course content lives in the assignment's folder: `grader/` names no homework.

An instructor who writes a new assignment changes nothing in `grader/`: its questions, its
misconception catalogue and its forbidden helpers are all in the assignment's folder.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from grader.course.assignment import Assignment
from grader.course.misconceptions import TAMPERING, Catalogue
from grader.errors import ConfigError
from tests.conftest import ASSIGNMENTS, ROOT

GENERIC = {"grad"}
"""Names an assignment uses that are the core of autograd, not one homework's:
`torch.autograd.grad` is how every assignment (and the worker's warm-up) differentiates."""

ALLOWED = {
    ("grader/worker/memory.py", "second_order"): "measurements, each naming the batch it was taken on",
}
"""(file, name) pairs that may stay, and why."""


def course_names() -> set[str]:
    """Every assignment's name, module, questions and forbidden helpers."""
    names: set[str] = set()
    for config_path in ASSIGNMENTS.glob("*/assignment.toml"):
        config = tomllib.loads(config_path.read_text())
        names |= {config_path.parent.name, config["module"], *config["questions"]}
        for helpers in config.get("forbidden", {}).get("helpers", {}).values():
            names |= set(helpers)
    return names - GENERIC


def mentions(folder: Path, names: set[str]) -> list[str]:
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, names))) + r")\b")
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        where = path.relative_to(folder.parent).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found += [
                f"{where}:{number}: {match}"
                for match in pattern.findall(line)
                if (where, match) not in ALLOWED
            ]
    return found


def test_grader_names_no_assignment_question_or_helper():
    names = course_names()
    assert {"second_order", "maml", "hessian", "meta_loss", "jacrev"} <= names
    assert mentions(ROOT / "grader", names) == []


def test_the_scan_finds_a_name(tmp_path):
    package = tmp_path / "grader"
    package.mkdir()
    (package / "x.py").write_text("# for hessian only\nhessians = 1\n")
    assert mentions(package, {"hessian"}) == ["grader/x.py:1: hessian"]


def test_each_catalogue_loads_with_the_graders_own_code():
    for name in ("second_order", "maml"):
        catalogue = Assignment.load(ASSIGNMENTS / name).misconceptions
        assert TAMPERING in catalogue and "in_place_update" in catalogue
    second_order = Assignment.load(ASSIGNMENTS / "second_order")
    assert (
        second_order.misconceptions.recognise_error(
            "hessian", "x does not require grad and does not have a grad_fn"
        )
        == "gradient_without_graph"  # the error cannot tell no create_graph from a detach after it
    )
    assert (
        second_order.misconceptions.recognise_error(
            "first_order_grads", "does not require grad and does not have a grad_fn"
        )
        is None
    )
    assert second_order.forbidden.helpers["torch.func"][0] == "hessian"
    assert "double backward" in second_order.forbidden.advice


@pytest.mark.parametrize(
    "entry,complaint",
    [
        ('[typo_code]\ntitle = "t"\n', "typo_code.explanation must be a non-empty string"),
        ('[tampering]\ntitle = "t"\nexplanation = "e"\n', "the grader's own code"),
        (
            '[x]\ntitle = "t"\nexplanation = "e"\nerrors = ["boom"]\nquestions = ["nope"]\n',
            "x.questions names ['nope']",
        ),
        ('[x]\ntitle = "t"\nexplanation = "e"\nexplantion = "e"\n', "unknown keys ['explantion']"),
    ],
)
def test_a_bad_catalogue_entry_is_a_config_error_naming_the_file(tmp_path, entry, complaint):
    (tmp_path / "misconceptions.toml").write_text(entry)
    with pytest.raises(ConfigError) as error:
        Catalogue.load(tmp_path, {"q"})
    assert str(tmp_path / "misconceptions.toml") in str(error.value)
    assert complaint in str(error.value)


def test_bad_forbidden_helpers_are_a_config_error(tmp_path):
    (tmp_path / "assignment.toml").write_text(
        'title = "t"\nmodule = "m"\n[questions]\nq = { public = 1 }\n'
        '[forbidden.helpers]\n"torch.func" = "hessian"\n'
    )
    with pytest.raises(ConfigError, match=r"\[forbidden.helpers\] must map"):
        Assignment.load(tmp_path)


def test_a_missing_probes_file_is_the_instructors_error_not_each_students(tmp_path):
    from grader.grading import Grader, GradingOptions

    folder = tmp_path / "hw"
    shutil.copytree(ASSIGNMENTS / "second_order", folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "probes.py").unlink()
    with pytest.raises(ConfigError, match="probes.py is missing"):
        Grader(Assignment.load(folder), GradingOptions())


def assignment_training(tmp_path: Path, trains: str) -> Assignment:
    (tmp_path / "assignment.toml").write_text(
        f'title = "t"\nmodule = "m"\ntrains = {trains}\n[questions]\nlearn = {{ public = 1 }}\n'
        "step = { public = 1 }\n"
    )
    return Assignment.load(tmp_path)


@pytest.mark.parametrize(
    "trains, selections",
    [
        ('["learn"]', {None: True, frozenset({"learn"}): True, frozenset({"step"}): False}),
        ("true", {None: True, frozenset({"learn"}): True, frozenset({"step"}): True}),
        ("false", {None: False, frozenset({"learn"}): False, frozenset({"step"}): False}),
    ],
)
def test_the_worker_warms_the_optimizer_only_for_questions_that_train(tmp_path, trains, selections):
    from grader.head_start import worker_spec

    assignment = assignment_training(tmp_path, trains)
    for questions, warm in selections.items():
        assert assignment.trains_in(questions) is warm
        spec = worker_spec(assignment, assignment.limits, tmp_path, questions=questions)
        assert spec.warm_optimizer is warm


@pytest.mark.parametrize("trains", ['["nope"]', "[]", '"yes"', "3"])
def test_a_bad_trains_entry_is_a_config_error(tmp_path, trains):
    with pytest.raises(ConfigError, match="'trains' must be true, false or a list of questions"):
        assignment_training(tmp_path, trains)


def test_maml_names_the_question_that_trains():
    assignment = Assignment.load(ASSIGNMENTS / "maml")
    assert assignment.training_questions == {"meta_train"}
    assert not assignment.trains_in(frozenset({"inner_update", "adapt", "meta_loss"}))
