"""`grader validate` grades known-wrong variants of any shape (a function, a method, a class
subclassing the reference's) and says, per variant, which tests catch it with which code; a
variant it cannot run is an error naming why, and a course file that cannot be imported is
reported as such."""

from __future__ import annotations

import pytest

from grader.authoring.validation import graded_problems, import_problems, read_variants
from grader.course.assignment import Assignment
from tests.small_course import both_halves, write_course
from tests.test_objects_as_questions import SOLUTION, STUB, TESTS

CATALOGUE = """\
[ignores_decay]
title = "the mean forgets everything but the last value"
explanation = "Fold each value into the mean with the decay."

[wrong_total]
title = "a total off by one"
explanation = "Add the history, nothing else."
"""
VARIANTS = '''\
from running import Running


def update_ignores_decay(ref, self, x):
    """ignores_decay: the mean is the last value."""
    self.mean = x.clone()
    self.history.append(float(self.mean.sum()))


class RunningInPlace(Running):
    """in_place_update: folds the value into the caller's tensor."""

    def update(self, x):
        x.mul_(1 - self.decay)
        self.mean = x.clone() if self.mean is None else self.decay * self.mean + x
        self.history.append(float(self.mean.sum()))


def total_plus_one(ref, running):
    """wrong_total: one more than the history's sum."""
    return ref.total(running) + 1


class RunningBroken(Running):
    """ignores_decay: cannot even be made."""

    def update(self, x):
        raise RuntimeError("broken")

    def __init__(self, decay=0.5):
        raise RuntimeError("never made")
'''


def course(tmp_path, variants: str):
    return write_course(
        tmp_path,
        "running",
        questions={"Running.update": (30, 30), "total": (20, 20)},
        stub=STUB,
        solution=SOLUTION,
        **both_halves(TESTS),
        catalogue=CATALOGUE,
        config='[calls]\ntotal = ["Running.update"]\n',
        files={"reference/running/variants.py": variants},
    )


def test_variants_are_read_as_functions_methods_and_classes(tmp_path):
    folder = course(tmp_path, VARIANTS)
    variants, problems = read_variants(Assignment.load(folder), tmp_path / "reference" / "running")
    assert problems == []
    shapes = {v.function: (v.kind, v.target, v.imitated) for v in variants}
    assert shapes == {
        "update_ignores_decay": ("method", "Running.update", ("Running.update",)),
        "RunningInPlace": ("class", "Running", ("Running.update",)),
        "total_plus_one": ("function", "total", ("total",)),
        "RunningBroken": ("class", "Running", ("Running.update",)),
    }


@pytest.mark.slow
def test_each_variant_is_graded_and_reported_with_the_tests_and_codes_that_catch_it(tmp_path):
    folder = course(tmp_path, VARIANTS)
    reference = tmp_path / "reference" / "running"
    assignment = Assignment.load(folder)
    variants, _ = read_variants(assignment, reference)
    lines: list[str] = []
    problems = graded_problems(assignment, reference, variants, False, lambda step: None, lines.append)
    assert [line.split(":")[0] for line in lines] == [f"variant {v.function} ({v.code})" for v in variants]
    assert lines[0].endswith("[no code]") and "update keeps a running mean" in lines[0]
    assert lines[1].endswith("[in_place_update]")  # the input guard names it: a class's own code
    assert lines[2].endswith("[no code]")
    assert [str(p).split(": ", 1)[1] for p in problems] == [
        "variant update_ignores_decay loses points on Running.update but no failing test "
        "names 'ignores_decay'",  # these tests pass no variants to expect_close
        "variant total_plus_one loses points on total but no failing test names 'wrong_total'",
        "variant RunningBroken cannot run: Running.update: error: Running(decay=0.25) raised RuntimeError: never made",
    ]


def test_a_variants_file_that_cannot_be_imported_is_reported_as_such(tmp_path):
    folder = course(tmp_path, "from .helpers import something\n")
    problems = import_problems(Assignment.load(folder), tmp_path / "reference" / "running")
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'reference' / 'running' / 'variants.py'}:1: cannot be imported: "
        "ImportError: attempted relative import with no known parent package"
    ]
