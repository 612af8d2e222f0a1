"""Every point of `grader grade` is earned on inputs the student has not seen: the released
answers earn nothing, seeds are keyed with a secret yet the same at every re-grade, and
meta_train's held-out tasks cannot be derived from what it is handed."""

from __future__ import annotations

import re

import pytest
import torch

from grader import results
from grader.course.assignment import find_assignment
from grader.grading import CHECK, GRADE, Grader, GradingOptions, secret_seed_key
from grader.intake.submission import Submission
from grader.reference import import_private
from grader.seeds import seed_for
from tests.conftest import ASSIGNMENTS, REFERENCE, SUBMISSIONS

LOOKUP = SUBMISSIONS / "hostile" / "answers_from_release.py"


def grader_for(name: str, mode: str, **options) -> Grader:
    reference = REFERENCE / name if mode == GRADE else None
    return Grader(find_assignment(name), GradingOptions(mode=mode, reference_dir=reference, **options))


@pytest.fixture
def lookup(tmp_path):
    """The hostile lookup, told where the release's expected.json is."""
    path = tmp_path / "answers_from_release.py"
    expected = ASSIGNMENTS / "second_order" / "expected.json"
    path.write_text(LOOKUP.read_text().replace("@EXPECTED_JSON@", str(expected)))
    return path


@pytest.mark.slow
def test_released_answers_earn_the_public_points_in_check_but_nothing_in_grade(lookup):
    with grader_for("second_order", CHECK) as grader:
        checked, _ = grader.grade(Submission("student", lookup))
    looked_up = {q.question: q.score for q in checked.questions()}
    assert checked.score > 0 and (looked_up["first_order_grads"], looked_up["gradient_penalty"]) == (
        4,
        pytest.approx(8 / 3),
    ), "the lookup earns public points in check, or this test proves nothing"
    with grader_for("second_order", GRADE) as grader:
        graded, _ = grader.grade(Submission("student", lookup))
    assert graded.score == 0, [(t.name, t.status) for t in graded.tests if t.passed]
    published = [t for t in graded.tests if t.status == results.FAILED]
    assert published and all("passes only on the published example" in t.message for t in published)


def inputs_seen(grader: Grader, submission_id: str, path) -> tuple[float, list[str]]:
    result, _ = grader.grade(Submission(submission_id, path))
    return result.score, [line for line in result.output.splitlines() if line.startswith("n=")]


@pytest.mark.slow
def test_a_regrade_draws_the_same_inputs_and_two_students_different_ones(tmp_path):
    printing = tmp_path / "prints_its_inputs.py"
    printing.write_text(
        (SUBMISSIONS / "second_order" / "correct_compact.py").read_text()
        + (
            "\n\n_first_order_grads = first_order_grads\n\n\n"
            "def first_order_grads(x, y):\n"
            "    print(f'n={len(x)} {x.tolist()}')\n"
            "    return _first_order_grads(x, y)\n"
        )
    )
    with grader_for("second_order", GRADE, questions=frozenset({"first_order_grads"})) as grader:
        alice, alice_again, bob = (inputs_seen(grader, who, printing) for who in ("alice", "alice", "bob"))
    # each test calls first_order_grads on its inputs in every kind: one line a kind, alike
    public = lambda seen: {line for line in seen[1] if line.startswith("n=5 ")}  # noqa: E731
    assert alice == alice_again and alice[0] == 10, "a re-grade draws the same inputs"
    assert len(public(alice)) == 2 and not public(alice) & public(bob), (
        "two students get different public inputs too"
    )
    assert "n=2 [3.0, 1.0]" in alice[1], "the worked example is still asked"


def test_seeds_in_grade_are_keyed_by_the_reference_and_differ_from_the_published_ones():
    key = secret_seed_key(REFERENCE / "second_order")
    assert key == secret_seed_key(REFERENCE / "second_order")
    node = "tests/test_public.py::test_first_order_grads_random[float32]"
    graded = seed_for("second_order", node, "alice", key=key)
    assert graded == seed_for("second_order", node, "alice", key=key)
    assert graded != seed_for("second_order", node, "bob", key=key)
    assert graded != seed_for("second_order", node, "alice")
    assert graded != seed_for("second_order", node, None)
    other_key = secret_seed_key(REFERENCE / "maml")
    assert seed_for("second_order", node, "alice", key=other_key) != graded


def test_the_key_reads_no_link_and_ignores_bytecode(tmp_path):
    folder, outside = tmp_path / "reference", tmp_path / "outside.py"
    (folder / "tests").mkdir(parents=True)
    (folder / "solution.py").write_text("ANSWER = 1\n")
    outside.write_text("first\n")
    (folder / "linked.py").symlink_to(outside)
    (folder / "linked_folder").symlink_to(tmp_path)
    key = secret_seed_key(folder)
    outside.write_text("second\n")
    (folder / "tests" / "__pycache__").mkdir()
    (folder / "tests" / "__pycache__" / "test_hidden.cpython-312.pyc").write_bytes(b"\0")
    (folder / ".pytest_cache").mkdir()
    (folder / ".pytest_cache" / "lastfailed").write_text("{}")
    (folder / ".DS_Store").write_bytes(b"\0")
    assert secret_seed_key(folder) == key, "a link's target and caches are not read"
    (folder / "solution.py").write_text("ANSWER = 2\n")
    assert secret_seed_key(folder) != key


@pytest.mark.slow
def test_meta_train_is_judged_on_tasks_it_cannot_derive_from_its_seed():
    """The held-out loss in the failure message is measured on the tasks of the held-out
    seed, which only the reference's key gives, not on those of `seed + 2` that a
    meta_train handed `seed + 1` could compute; everyone trains on the same published draw."""
    node = "tests/test_public.py::test_meta_train_quick"
    with grader_for("maml", GRADE, questions=frozenset({"meta_train"})) as grader:
        no_learning = SUBMISSIONS / "maml" / "meta_train_no_learning.py"
        result, _ = grader.grade(Submission("carol", no_learning))
        key = grader.seed_key
    quick = next(t for t in result.tests if t.nodeid == node)
    before = float(re.search(r"went from ([0-9.]+)", quick.message).group(1))
    seed = seed_for("maml", node, None)
    heldout = seed_for("maml", node, None, key=key, purpose="held-out")
    assert heldout != seed_for("maml", node, None, purpose="held-out")  # the key matters
    start = seed_for("maml", node, None, key=key, purpose="held-out start")
    assert start != seed_for("maml", node, None, purpose="held-out start")  # for the start too
    public_tests = import_private(
        "fresh_inputs_maml_public", ASSIGNMENTS / "maml" / "tests" / "test_public.py"
    )
    given = import_private("fresh_inputs_maml_given", ASSIGNMENTS / "maml" / "maml.py")
    params = [p.detach() for p in given.init_params(40, torch.Generator().manual_seed(start))]
    loss = lambda s: round(public_tests.heldout_loss(given, params, s), 4)  # noqa: E731
    assert before == loss(heldout) != loss(seed + 2)


def test_ci_draws_new_hidden_inputs_on_every_run(monkeypatch):
    """What a submission prints about one CI run's hidden inputs is no use in the next."""
    import argparse

    from grader.commands import ci
    from grader.sandbox.bubblewrap import Sandbox

    monkeypatch.setenv("GRADER_REFERENCE", str(REFERENCE / "second_order"))
    monkeypatch.setattr(Sandbox, "require", classmethod(lambda cls, assignment: None))
    options = argparse.Namespace(sandbox="auto", unsafe_no_sandbox=False)
    assignment = find_assignment("second_order")
    keys = set()
    for _ in range(2):
        grading = ci.grading_options(assignment, options)
        with Grader(assignment, grading) as grader:
            keys.add(grader.seed_key)
    assert len(keys) == 2
