"""What a test's markers say, validated, and the share of its question's points it carries.

Markers are read once, as the tests are collected; a bad value is a configuration error that
names the test it came from. A question's public points are shared among its public tests by
weight, its hidden points among its hidden tests, and a share with no test for it is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader import results
from grader.course.assignment import Assignment
from grader.errors import ConfigError

MARKERS = {
    "question(name)": "the question (graded function) this test grades",
    "weight(w)": "this test's share of its question's points, relative to its siblings (default 1)",
    "timeout(seconds)": "time limit for each call into student code in this test",
    "slow": "a long test: run by `grader grade`, and by `grader check` only with --slow",
    "tolerance(rtol=None, atol=None)": "this test's default tolerances for expect_close and difference",
}


@dataclass(frozen=True)
class PlannedTest:
    """What the markers say about one test, validated."""

    question: str
    weight: float
    timeout: float | None
    visibility: str
    slow: bool
    name: str
    rtol: float | None = None
    atol: float | None = None
    """The tolerance marker's defaults for the test's comparisons; None: the dtype's."""


def plan_test(item: pytest.Item, assignment: Assignment, hidden_tests: Path | None) -> PlannedTest:
    """Read `item`'s markers; tests under `hidden_tests` are hidden ones."""
    where = f"the markers on {item.nodeid}"
    marker = item.get_closest_marker("question")
    if marker is None or len(marker.args) != 1:
        raise ConfigError(f"missing @pytest.mark.question(name) on {item.nodeid}")
    question = marker.args[0]
    if question not in assignment.questions:
        raise ConfigError(
            f"unknown question {question!r} from {where}: add it to assignment.toml or fix the marker"
        )
    weight_marker = item.get_closest_marker("weight")
    weight = _positive(weight_marker.args[0] if weight_marker else 1, "weight", where)
    timeout_marker = item.get_closest_marker("timeout")
    timeout = _positive(timeout_marker.args[0], "timeout", where) if timeout_marker else None
    hidden = hidden_tests is not None and Path(str(item.path)).is_relative_to(hidden_tests)
    rtol, atol = _tolerance(item.get_closest_marker("tolerance"), where)
    return PlannedTest(
        question,
        weight,
        timeout,
        results.HIDDEN if hidden else results.VISIBLE,
        item.get_closest_marker("slow") is not None,
        sentence(item),
        rtol,
        atol,
    )


def _tolerance(marker: pytest.Mark | None, where: str) -> tuple[float | None, float | None]:
    """The tolerance marker's rtol and atol (each None where it names none)."""
    if marker is None:
        return None, None
    if marker.args or not marker.kwargs or set(marker.kwargs) - {"rtol", "atol"}:
        raise ConfigError(f"invalid tolerance marker from {where}: use tolerance(rtol=..., atol=...)")
    found = []
    for name in ("rtol", "atol"):
        value = marker.kwargs.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0
        ):
            raise ConfigError(f"invalid {name} {value!r} from {where}: use a number, 0 or more")
        found.append(None if value is None else float(value))
    return found[0], found[1]


def shares_of_points(
    plans: Sequence[PlannedTest],
    assignment: Assignment,
    *,
    questions: frozenset[str] | None,
    with_hidden: bool,
) -> list[float]:
    """Each planned test's points: its weight's share of its question's public or hidden
    points. Every share of the `questions` graded (None: all) needs a test, the hidden ones
    only `with_hidden` tests."""
    weights: dict[tuple[str, str], float] = {}
    for plan in plans:
        key = (plan.question, plan.visibility)
        weights[key] = weights.get(key, 0.0) + plan.weight
    _check_every_share_has_tests(weights, assignment, questions, with_hidden)
    return [
        _share(plan, assignment) * plan.weight / weights[(plan.question, plan.visibility)] for plan in plans
    ]


def _share(plan: PlannedTest, assignment: Assignment) -> float:
    points = assignment.questions[plan.question]
    return points.hidden if plan.visibility == results.HIDDEN else points.public


def _check_every_share_has_tests(
    weights: dict[tuple[str, str], float],
    assignment: Assignment,
    questions: frozenset[str] | None,
    with_hidden: bool,
) -> None:
    for question, points in assignment.questions.items():
        if questions is not None and question not in questions:
            continue
        shares = [(results.VISIBLE, points.public)]
        if with_hidden:
            shares.append((results.HIDDEN, points.hidden))
        for visibility, share in shares:
            if share > 0 and (question, visibility) not in weights:
                raise ConfigError(
                    f"{question} has {share:g} {visibility} points in assignment.toml but no test for them"
                )


def sentence(item: pytest.Item) -> str:
    """The test's name as a sentence: its docstring's first line, filled with its parameters."""
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    first = doc.strip().splitlines()[0] if doc.strip() else item.name.replace("_", " ")
    params = getattr(getattr(item, "callspec", None), "params", {})
    try:
        return first.format(**{key: _plain(value) for key, value in params.items()})
    except (KeyError, IndexError, ValueError):
        return first


def _positive(value: Any, what: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"invalid {what} {value!r} from {where}: use a positive number")
    return float(value)


def _plain(value: Any) -> str:
    return str(value).removeprefix("torch.")
