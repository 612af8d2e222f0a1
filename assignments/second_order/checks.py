"""Known mistakes to look for, shared by the public and hidden `second_order` tests.

Each function gives (misconception code, what a known-wrong variant of the reference gives
on the same inputs) pairs for `expect_close(..., variants=...)`. When grading, a variant runs
only if the student's answer is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def second_partials_mistakes(reference: Any, x: Any, y: Any, i: int) -> Iterable[tuple[str, Any]]:
    return reference.mistakes([("grad_accumulation", "second_partials_accumulated", (x, y, i))])


def zeroing_mistakes(reference: Any, x: Any, y: Any, i: int) -> Iterable[tuple[str, Any]]:
    return reference.mistakes(
        [
            ("zeroed_gradients", "grads_without_zeroing_zeroed", (x, y, i)),
            ("zeroed_gradients", "grads_without_zeroing_first_order_only", (x, y, i)),
        ]
    )


def hessian_mistakes(reference: Any, f: Any, x: Any) -> Iterable[tuple[str, Any]]:
    return reference.mistakes(
        [
            ("grad_accumulation", "hessian_accumulated_rows", (f, x)),
            ("grad_accumulation", "hessian_rows_on_top_of_gradient", (f, x)),
        ]
    )


def penalty_mistakes(reference: Any, critic: Any, x: Any) -> Iterable[tuple[str, Any]]:
    """gradient_penalty's value: the penalty summed over the batch instead of averaged."""
    return reference.mistakes([("sum_instead_of_mean", "gradient_penalty_summed", (critic, x))])


def penalty_probe_mistakes(reference: Any, critic: Any, x: Any, part: str) -> Iterable[tuple[str, Any]]:
    """One part (`penalty` or `weight_grads`) of what the probe `penalty_and_weight_grads`
    gives for a penalty summed over the batch instead of averaged."""
    return (
        (code, value[part])
        for code, value in reference.mistakes(
            [("sum_instead_of_mean", "penalty_and_weight_grads_summed", (critic, x))]
        )
    )
