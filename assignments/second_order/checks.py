"""Known mistakes to look for, shared by the public and hidden `second_order` tests.

Each function returns (misconception code, what a known-wrong variant of the reference gives
on the same inputs) pairs for `expect_close(..., variants=...)`.
"""

from __future__ import annotations

from typing import Any


def second_partials_mistakes(reference: Any, x: Any, y: Any, i: int) -> list[tuple[str, Any]]:
    return [("grad_accumulation", reference.variant("second_partials_accumulated", x, y, i))]


def zeroing_mistakes(reference: Any, x: Any, y: Any, i: int) -> list[tuple[str, Any]]:
    return [("zeroed_gradients", reference.variant("grads_without_zeroing_zeroed", x, y, i)),
            ("zeroed_gradients", reference.variant("grads_without_zeroing_first_order_only", x, y, i))]


def hessian_mistakes(reference: Any, f: Any, x: Any) -> list[tuple[str, Any]]:
    return [("grad_accumulation", reference.variant("hessian_accumulated_rows", f, x)),
            ("grad_accumulation", reference.variant("hessian_rows_on_top_of_gradient", f, x))]
