"""Comparisons and known mistakes shared by the public and hidden `second_order` tests.

`expect_like_reference` calls a graded function on its inputs in each kind the contract
allows (requiring grad or not, holding a .grad or not) and compares each answer with the
reference's, after checking the call left its inputs as they came. The `*_mistakes`
functions give (misconception code, what a known-wrong variant of the reference gives on the
same inputs) pairs for `expect_close(..., variants=...)`; when grading, a variant runs only
if the student's answer is wrong. `expect_differentiable_penalty` says why a penalty has no
graph, as far as the evidence goes; `expect_through_critic_derivative`, that its gradient
reaches the critic's weights only through the derivative of the critic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from grader.testing import (
    INPUT_KINDS,
    Fn,
    Mismatch,
    describe_call,
    expect_clean_call,
    expect_close,
)


def expect_untouched(changed: list[str], what: str, reply: Any, *, forbid_helpers: bool = False) -> None:
    """No forbidden helper called (where forbidden), and nothing changed of the inputs: of the
    copies the probe handed the function (`changed`), or else of the probe's own arguments."""
    changed = list(changed) or reply.modified_inputs
    expect_clean_call(
        dataclasses.replace(reply, call=what, modified_inputs=changed), forbid_helpers=forbid_helpers
    )


def expect_like_reference(
    student: Any,
    reference: Any,
    function: str,
    *args: Any,
    variants: Iterable[tuple[str, Any]] = (),
    forbid_helpers: bool = False,
) -> None:
    """`function` on `args` arriving in each kind the contract allows: inputs left as they
    came, and the answer the reference gives (a wrong one named by `variants`)."""
    reply = student.probe(function, *args)
    expected = reference.probe(function, *args)
    call = describe_call(function, args, {})
    for kind, got, wanted in zip(INPUT_KINDS, reply.value, expected, strict=True):
        what = f"with inputs {kind}, {call}"
        expect_untouched(got["changed"], what, reply, forbid_helpers=forbid_helpers)
        expect_close(got["value"], wanted["value"], what=what, variants=variants)


def expect_differentiable_penalty(outcome: dict[str, Any]) -> None:
    """The penalty has a graph back to the critic's weights; if not, say why as far as what
    the critic saw of its differentiation tells: a gradient with a graph of its own that was
    cut afterwards, one taken without create_graph=True, or (nothing seen) either."""
    if outcome["differentiable"]:
        return
    lost = "gradient_penalty(f, x) does not require grad, so the critic's weights get no gradient"
    graph = outcome["inner_graph"]
    if graph == "kept":
        raise Mismatch(
            f"{lost}: the gradient of f it took had a graph of its own (create_graph=True), "
            "but that graph was cut before the penalty was returned (detach(), .data, .item(), "
            "torch.no_grad() or a copy through numpy): keep the gradient attached all the way "
            "to the returned mean",
            "graph_cut",
        )
    if graph == "none":
        raise Mismatch(
            f"{lost}: the gradient of f it took came back with no graph of its own. Take it "
            "with create_graph=True",
            "missing_create_graph",
        )
    raise Mismatch(
        f"{lost}, and no gradient reached f's hidden layer while it ran: either the inner "
        "gradient was taken without create_graph=True, or its graph was cut afterwards "
        "(detach(), .data, torch.no_grad()). Check both",
        "gradient_without_graph",
    )


def expect_through_critic_derivative(outcome: dict[str, Any], on: str = "") -> None:
    """The penalty's gradient reaches the critic's weights only through the derivative of the
    critic (the graph create_graph=True keeps), as a penalty built on the input gradient
    does: numbers handed to the weights another way (finite differences added as
    ``(p * g).sum() - (p * g).sum().detach()``, say) do not teach the question's graph."""
    bypassing = outcome["bypassing"]
    if not bypassing:
        return
    calls = outcome["critic_calls"]
    called = f" (gradient_penalty called f {calls} times)" if calls > 1 else ""
    raise Mismatch(
        f"{on}gradient_penalty(f, x).backward() reaches the critic's weights "
        f"{', '.join(bypassing)} by a path that does not pass through the derivative of f{called}: "
        "their gradient does not come from differentiating the input gradient. Build the penalty "
        "from the gradient of f taken with create_graph=True, so that backward() differentiates "
        "that gradient",
        "gradient_around_the_graph",
    )


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


def expect_penalty_and_weight_grads(student: Any, reference: Any, critic: Fn, x: Any) -> None:
    """For inputs of each kind (x, and the critic's weights): inputs left as they came, a
    penalty differentiable back to the critic's weights, the gradients
    `gradient_penalty(f, x).backward()` gives them, and the penalty itself (a backward of the
    submission's own, a hook on the weights say, can give a wrong penalty the right gradients)."""
    reply = student.probe("penalty_and_weight_grads", critic, x)
    expected = reference.probe("penalty_and_weight_grads", critic, x)
    grads_mistakes = penalty_probe_mistakes(reference, critic, x, "weight_grads")
    penalty_mistakes = penalty_probe_mistakes(reference, critic, x, "penalty")
    for kind, got, wanted in zip(INPUT_KINDS, reply.value, expected, strict=True):
        on = f"with inputs {kind}, "
        expect_untouched(got["changed"], f"{on}gradient_penalty(f, x)", reply)
        expect_differentiable_penalty(got)
        expect_through_critic_derivative(got, on)
        expect_close(
            got["weight_grads"],
            wanted["weight_grads"],
            what=f"{on}the critic's weight gradients after gradient_penalty(f, x).backward()",
            variants=grads_mistakes,
        )
        expect_close(
            got["penalty"], wanted["penalty"], what=f"{on}gradient_penalty(f, x)", variants=penalty_mistakes
        )
