"""Known mistakes to look for, shared by the public and hidden `second_order` tests.

Each function gives (misconception code, what a known-wrong variant of the reference gives
on the same inputs) pairs for `expect_close(..., variants=...)`. When grading, a variant runs
only if the student's answer is wrong.
"""

from __future__ import annotations

from typing import Any, Iterable


def second_partials_mistakes(reference: Any, x: Any, y: Any, i: int) -> Iterable[tuple[str, Any]]:
    return reference.mistakes([("grad_accumulation", "second_partials_accumulated", (x, y, i))])


def zeroing_mistakes(reference: Any, x: Any, y: Any, i: int) -> Iterable[tuple[str, Any]]:
    return reference.mistakes([
        ("zeroed_gradients", "grads_without_zeroing_zeroed", (x, y, i)),
        ("zeroed_gradients", "grads_without_zeroing_first_order_only", (x, y, i))])


def hessian_mistakes(reference: Any, f: Any, x: Any) -> Iterable[tuple[str, Any]]:
    return reference.mistakes([
        ("grad_accumulation", "hessian_accumulated_rows", (f, x)),
        ("grad_accumulation", "hessian_rows_on_top_of_gradient", (f, x))])
