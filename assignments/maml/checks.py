"""Comparisons shared by the public and hidden `maml` tests (the `checks` fixture).

Each check fails with the message a student needs: which parameters changed in place,
whether the adapted parameters still depend on the initial ones, and whether the
meta-gradient is the second-order one that was asked for.
"""

from __future__ import annotations

from typing import Any

from grader.testing import Mismatch, difference, expect, expect_close, recognise

Variants = list[tuple[str, dict[str, Any]]]


def expect_meta_loss(
    got: dict[str, Any], expected: dict[str, Any], n_tasks: int, *, first_order: bool, variants: Variants = ()
) -> None:
    """The meta-loss value (a mean over tasks) and its meta-gradient."""
    expect_untouched("meta_loss", got)
    summed = expected["value"] * n_tasks
    expect_close(
        got["value"],
        expected["value"],
        what="the meta-loss",
        variants=[("sum_instead_of_mean", summed), *((code, v["value"]) for code, v in variants)],
    )
    expect_meta_gradient(
        "meta_loss", got["meta_grads"], expected["meta_grads"], first_order=first_order, variants=variants
    )


def expect_untouched(function: str, outcome: dict[str, Any]) -> None:
    changed = outcome["params_changed"]
    expect(
        not changed,
        f"{function} changed the caller's parameters in place "
        f"({'; '.join(changed)}): build new tensors (p - lr * g) instead of updating p",
        "in_place_update",
    )


def mistakes(
    reference: Any, probe: str, args: tuple[Any, ...], kwargs: dict[str, Any], lr_name: str = "lr"
) -> Variants:
    """What the reference gives with the other meta-gradient order, and with the wrong sign."""
    first_order = kwargs["first_order"]
    other_order = reference.probe(probe, *args, **{**kwargs, "first_order": not first_order})
    wrong_sign = reference.probe(probe, *args, **{**kwargs, lr_name: -kwargs[lr_name]})
    return [
        ("ignores_first_order_flag" if first_order else "first_order_maml", other_order),
        ("wrong_sign", wrong_sign),
    ]


def expect_adapted(
    function: str,
    got: dict[str, Any],
    expected: dict[str, Any],
    *,
    first_order: bool,
    variants: Variants = (),
) -> None:
    """Values, untouched inputs, and the meta-gradient through the returned parameters."""
    expect_untouched(function, got)
    expect_close(
        got["values"],
        expected["values"],
        what=f"the parameters {function} returned",
        variants=[(code, v["values"]) for code, v in variants],
    )
    expect_meta_gradient(
        function, got["meta_grads"], expected["meta_grads"], first_order=first_order, variants=variants
    )


def expect_meta_gradient(
    function: str, got: Any, expected: Any, *, first_order: bool, variants: Variants = ()
) -> None:
    if expected is None:
        return
    expect(
        got is not None,
        f"what {function} returned does not depend on the initial parameters, "
        "so no meta-gradient reaches them: do not detach, use .data or torch.no_grad() "
        "in the update",
        "detached_params",
    )
    problem = difference(got, expected, f"the meta-gradient through {function}")
    if problem:
        wanted = (
            "first-order (the inner gradients treated as constants)"
            if first_order
            else "second-order (inner gradients computed with create_graph=True)"
        )
        code = recognise(got, [(c, v["meta_grads"]) for c, v in variants])
        raise Mismatch(f"{problem}. The meta-gradient should be {wanted}.", code)
