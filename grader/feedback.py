"""Checks that fail with feedback a student can act on: name the thing, say got and expected.

Tests call :func:`expect_close` and :func:`expect`; both raise :class:`Mismatch`, which the
plugin reports as a failed test with this message (and a misconception code, if known).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch

from grader.course.misconceptions import CHANGED_INPUTS, FORBIDDEN_HELPER
from grader.current_test import Bound, LeaderboardEntry, current
from grader.problems import Mismatch

TOLERANCES = {
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (1e-2, 1e-2),
    torch.float32: (1e-4, 1e-5),
    torch.float64: (1e-7, 1e-10),
}


def expect(condition: bool, message: str, misconception: str | None = None) -> None:
    """Fail with `message` unless `condition` holds."""
    if not condition:
        raise Mismatch(message, misconception)


def expect_close(
    got: Any,
    expected: Any,
    *,
    what: str,
    rtol: float | None = None,
    atol: float | None = None,
    variants: Iterable[tuple[str, Any]] = (),
) -> None:
    """Compare a returned structure of tensors with the expected one, element by element.

    `variants` pairs misconception codes with what a known-wrong variant gives on the same
    inputs: a mismatch that equals one of them is reported as that misconception.
    """
    problem = difference(got, expected, what, rtol, atol)
    if problem:
        raise Mismatch(problem, recognise(got, variants, rtol, atol))


def recognise(
    got: Any, variants: Iterable[tuple[str, Any]], rtol: float | None = None, atol: float | None = None
) -> str | None:
    """The first misconception whose variant gives exactly this answer, if any."""
    for code, value in variants:
        if value is not None and not difference(got, value, "", rtol, atol):
            return code
    return None


def difference(
    got: Any, expected: Any, what: str, rtol: float | None = None, atol: float | None = None
) -> str:
    """Describe the first way `got` differs from `expected`, or '' when they match."""
    if isinstance(expected, torch.Tensor):
        return _tensor_difference(got, expected, what, rtol, atol)
    if isinstance(expected, (tuple, list)):
        return _sequence_difference(got, expected, what, rtol, atol)
    if isinstance(expected, dict):
        for key, value in expected.items():
            if problem := difference(
                got.get(key) if isinstance(got, dict) else None, value, f"{what}[{key!r}]", rtol, atol
            ):
                return problem
        return ""
    if isinstance(expected, float):
        return _float_difference(got, expected, what, rtol, atol)
    if got != expected:
        return f"{what} is {_short(got)}, expected {_short(expected)}"
    return ""


def _float_difference(got: Any, expected: float, what: str, rtol: float | None, atol: float | None) -> str:
    """A float (a loss a method kept, say) is compared as a float64 tensor is, within the
    same tolerance: a last bit computed in another order is no mistake."""
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return f"{what} is {_short(got)}, expected a number near {_short(expected)}"
    as_tensor = torch.tensor(float(got), dtype=torch.float64)
    return _tensor_difference(as_tensor, torch.tensor(expected, dtype=torch.float64), what, rtol, atol)


def _sequence_difference(got: Any, expected: Any, what: str, rtol: float | None, atol: float | None) -> str:
    kind = "a tuple" if isinstance(expected, tuple) else "a list"
    if not isinstance(got, (tuple, list)):
        return f"{what} returned {_kind(got)}, expected {kind} of {len(expected)} tensors"
    if len(got) != len(expected):
        return f"{what} returned {len(got)} items, expected {len(expected)}"
    for index, (g, e) in enumerate(zip(got, expected, strict=True)):
        if problem := difference(g, e, f"{what}[{index}]", rtol, atol):
            return problem
    return ""


def expect_at_most(value: float, bound: float, *, what: str) -> None:
    """Fail unless `value` is at most `bound` (a learning test's loss, say). The value is
    kept either way: `grader validate` reports how close the reference comes to the bound
    over several draws of the test's inputs (its margin)."""
    number = float(value)
    test = current()
    test.bounds.append(Bound(test.nodeid, test.question, what, number, float(bound)))
    if not number <= bound:  # NaN fails too
        raise Mismatch(f"{what} is {number:.4g}, expected at most {float(bound):.4g}")


LEADERBOARD_ORDERS = ("asc", "desc")
LEADERBOARD_NAME = 60


def leaderboard(name: str, value: float, *, order: str = "asc") -> None:
    """Report `value` as this submission's entry `name` on Gradescope's leaderboard ("asc":
    lower ranks first, a loss; "desc": higher does, an accuracy). The whole class sees it, so
    it counts only where the test passes and is public; elsewhere it is dropped."""
    if order not in LEADERBOARD_ORDERS:
        raise ValueError(f"leaderboard order {order!r}: use 'asc' (lower ranks first) or 'desc'")
    if not name or len(name) > LEADERBOARD_NAME:
        raise ValueError(f"a leaderboard name is 1 to {LEADERBOARD_NAME} characters: {name!r}")
    number = float(value)
    if math.isfinite(number):  # NaN or infinity: nothing to rank
        current().leaderboard.append(LeaderboardEntry(name, number, order))


def expect_tensor(got: Any, *, shape: tuple[int, ...], dtype: torch.dtype, what: str) -> None:
    """Fail unless `got` is a tensor of this shape and dtype (before comparing parts of it)."""
    if problem := _form_difference(got, shape, dtype, what):
        raise Mismatch(problem)


def _form_difference(got: Any, shape: tuple[int, ...], dtype: torch.dtype, what: str) -> str:
    if not isinstance(got, torch.Tensor):
        return f"{what} is {_kind(got)}, expected a tensor"
    if tuple(got.shape) != tuple(shape):
        return f"{what} has shape {tuple(got.shape)}, expected {tuple(shape)}"
    if got.dtype != dtype:
        return f"{what} has dtype {_dtype(got)}, expected {str(dtype).removeprefix('torch.')} (the inputs' dtype)"
    return ""


def _tensor_difference(
    got: Any, expected: torch.Tensor, what: str, rtol: float | None, atol: float | None
) -> str:
    if problem := _form_difference(got, tuple(expected.shape), expected.dtype, what):
        return problem
    test = current()  # an explicit tolerance, else the test's marker's, else the dtype's
    default_rtol, default_atol = TOLERANCES.get(expected.dtype, (0.0, 0.0))
    rtol = rtol if rtol is not None else test.rtol if test.rtol is not None else default_rtol
    atol = atol if atol is not None else test.atol if test.atol is not None else default_atol
    return _value_difference(got, expected, what, rtol, atol)


def _value_difference(got: torch.Tensor, expected: torch.Tensor, what: str, rtol: float, atol: float) -> str:
    if got.numel() == 0:
        return ""
    g, e = got.detach().double(), expected.detach().double()
    scale = max(1.0, float(e.abs().max())) if torch.isfinite(e).all() else 1.0
    bad = ~torch.isclose(g, e, rtol=rtol, atol=atol * scale, equal_nan=True)
    if not bad.any():
        return ""
    error = torch.where(bad, (g - e).abs().nan_to_num(float("inf")), torch.zeros_like(g))
    flat = int(error.flatten().argmax())
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), g.shape))
    where = f" at index {index}" if index else ""
    return (
        f"{what} differs from the expected value: largest difference "
        f"{float(error.flatten()[flat]):.3g}{where} (got {float(g.flatten()[flat]):.6g}, "
        f"expected {float(e.flatten()[flat]):.6g}); {int(bad.sum())} of {g.numel()} "
        f"elements are off by more than {atol * scale:.1g} + {rtol:.1g}·|expected|"
    )


def _dtype(t: torch.Tensor) -> str:
    return str(t.dtype).removeprefix("torch.")


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__name__} ({_short(value)})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def expect_clean_call(reply: Any, *, forbid_helpers: bool = False, keep_self: bool = False) -> None:
    """Fail if the call changed its inputs, or (`keep_self`, for a method meant to leave its
    object as it was) its object's tensors, or, where forbidden, used a helper the assignment
    forbids (its assignment.toml's [forbidden], whose advice the message gives). These are the
    grader's own codes, known to every catalogue, which may explain them in its own words."""
    function = reply.call.split("(")[0]
    if forbid_helpers and reply.forbidden_calls:
        names = ", ".join(reply.forbidden_calls)
        advice = f": {reply.forbidden_advice}" if getattr(reply, "forbidden_advice", "") else ""
        raise Mismatch(
            f"{function} called {names}, which this question does not allow{advice}", FORBIDDEN_HELPER
        )
    if reply.modified_inputs:
        raise Mismatch(
            f"{function} changed its inputs ({'; '.join(reply.modified_inputs)}): "
            "work on copies, e.g. x.detach().clone().requires_grad_(True)",
            CHANGED_INPUTS,
        )
    changed_self = getattr(reply, "modified_self", [])
    if keep_self and changed_self:
        shown = "; ".join(changed_self[:2]) + (
            f"; and {len(changed_self) - 2} more" if len(changed_self) > 2 else ""
        )
        raise Mismatch(
            f"{function} changed its object's tensors ({shown}): this method should leave self as "
            "it was and work on copies",
            CHANGED_INPUTS,
        )
