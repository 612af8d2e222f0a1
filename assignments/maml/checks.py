"""Comparisons shared by the public and hidden `maml` tests (the `checks` fixture).

The probes call each graded function on inputs of every kind the contract allows and give
back one outcome per kind (in the order of `INPUT_KINDS`). Each check fails with the message a
student needs: what the call changed of its inputs, whether the adapted parameters still
depend on the initial ones, and whether the meta-gradient is the second-order one that was
asked for; where it is first-order, what the hooks on the parameters saw says why, as far as
it can.
"""

from __future__ import annotations

from typing import Any

from grader.testing import INPUT_KINDS, InputKind, Mismatch, difference, expect, expect_close, recognise

Variants = list[tuple[str, dict[str, Any]]]
DATA = {"adapt": "x_support and y_support", "meta_loss": "task tensors"}
"""What each function is handed besides the parameters, which always require grad."""
PLAIN_ONLY = [str(INPUT_KINDS[0])]
"""What a variant is asked for: its answers do not depend on the kind of its inputs."""


def expect_meta_loss(
    got: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    n_tasks: int,
    *,
    first_order: bool,
    variants: Variants = (),
) -> None:
    """For inputs of each kind: inputs left as they came, the meta-loss value (a mean over
    tasks) and its meta-gradient."""
    for kind, outcome, wanted in zip(INPUT_KINDS, got, expected, strict=True):
        on = arrival("meta_loss", kind)
        expect_untouched("meta_loss", outcome, on)
        expect_close(
            outcome["value"],
            wanted["value"],
            what=f"{on}the meta-loss",
            variants=[
                ("sum_instead_of_mean", wanted["value"] * n_tasks),
                *((code, v["value"]) for code, v in variants),
            ],
        )
        expect_meta_gradient("meta_loss", outcome, wanted, first_order=first_order, variants=variants, on=on)
        expect_through_inner_step(outcome, wanted, on)


def expect_through_inner_step(outcome: dict[str, Any], wanted: dict[str, Any], on: str = "") -> None:
    """The meta-gradient reaches params other than through the inner gradients' graphs only
    as much as the reference's does (its first-order part, through the update p - lr * g):
    a meta-loss with the right numbers whose second-order term gets to the parameters some
    other way (finite differences added as (p * g).sum() - (p * g).sum().detach(), say) has
    not built the graph the question teaches."""
    got, expected = outcome.get("meta_grads_around"), wanted.get("meta_grads_around")
    if got is None or expected is None:  # no meta-gradient at all: the checks before say why
        return
    problem = difference(
        got, expected, f"{on}the meta-gradient that reaches params other than through the inner gradients"
    )
    if problem:
        raise Mismatch(
            f"{problem}. The meta-loss has the right meta-gradient, but its second-order term "
            "does not flow through the graph of the inner gradients: it reaches the parameters "
            "some other way. Take the inner gradients with create_graph=True and build the "
            "meta-loss on the adapted parameters p - lr * g, so that backward() differentiates "
            "through them",
            "meta_gradient_around_the_inner_step",
        )


def arrival(function: str, kind: InputKind) -> str:
    """How the inputs of one kind arrived, to begin a message: "with params that hold a .grad
    and x_support and y_support that require grad, "."""
    params = "params that hold a .grad" if kind.has_grad else "params without a .grad"
    data = DATA.get(function)
    return f"with {params} and {data} {kind}, " if data else f"with {params}, "


def expect_untouched(function: str, outcome: dict[str, Any], on: str = "") -> None:
    changed = outcome["changed"]
    expect(
        not changed,
        f"{on}{function} changed its inputs ({'; '.join(changed)}): build new tensors "
        "(p - lr * g) and leave what you were handed as it came",
        "in_place_update",
    )


def mistakes(
    reference: Any, probe: str, args: tuple[Any, ...], kwargs: dict[str, Any], lr_name: str = "lr"
) -> Variants:
    """What the reference gives with the other meta-gradient order, and with the wrong sign."""
    first_order = kwargs["first_order"]
    plain = {**kwargs, "inputs": PLAIN_ONLY}
    [other_order] = reference.probe(probe, *args, **{**plain, "first_order": not first_order})
    [wrong_sign] = reference.probe(probe, *args, **{**plain, lr_name: -kwargs[lr_name]})
    return [
        ("ignores_first_order_flag" if first_order else "first_order_maml", other_order),
        ("wrong_sign", wrong_sign),
    ]


def expect_adapted(
    function: str,
    got: list[dict[str, Any]],
    expected: list[dict[str, Any]],
    *,
    first_order: bool,
    variants: Variants = (),
) -> None:
    """For inputs of each kind: inputs left as they came, the values, and the meta-gradient
    through the returned parameters."""
    for kind, outcome, wanted in zip(INPUT_KINDS, got, expected, strict=True):
        on = arrival(function, kind)
        expect_untouched(function, outcome, on)
        expect_close(
            outcome["values"],
            wanted["values"],
            what=f"{on}the parameters {function} returned",
            variants=[(code, v["values"]) for code, v in variants],
        )
        expect_meta_gradient(function, outcome, wanted, first_order=first_order, variants=variants, on=on)


def expect_meta_gradient(
    function: str,
    outcome: dict[str, Any],
    wanted: dict[str, Any],
    *,
    first_order: bool,
    variants: Variants = (),
    on: str = "",
) -> None:
    got, expected = outcome["meta_grads"], wanted["meta_grads"]
    if expected is None:
        return
    expect(
        got is not None,
        f"{on}what {function} returned does not depend on the initial parameters, "
        "so no meta-gradient reaches them: do not detach, use .data or torch.no_grad() "
        "in the update",
        "detached_params",
    )
    problem = difference(got, expected, f"{on}the meta-gradient through {function}")
    if problem:
        code = recognise(got, [(c, v["meta_grads"]) for c, v in variants])
        if code == "first_order_maml":
            raise first_order_diagnosis(function, problem, outcome["inner_graph"])
        wanted_order = (
            "first-order (the inner gradients treated as constants)"
            if first_order
            else "second-order (inner gradients computed with create_graph=True)"
        )
        raise Mismatch(f"{problem}. The meta-gradient should be {wanted_order}.", code)


def first_order_diagnosis(function: str, problem: str, inner_graph: str | None) -> Mismatch:
    """A first-order meta-gradient where second-order was asked, with its cause as far as the
    hooks on the parameters saw it: inner gradients with a graph of their own that was cut
    afterwards, inner gradients taken without one, or (no gradient seen) either."""
    if inner_graph == "kept":
        return Mismatch(
            f"{problem}. It is the first-order meta-gradient, yet the inner gradients had a "
            f"graph of their own while {function} ran (create_graph=True): that graph was cut "
            "afterwards, by a detach(), .data or torch.no_grad() on the gradients or the update. "
            "Keep them attached: the second-order term flows through them",
            "graph_cut",
        )
    if inner_graph == "none":
        return Mismatch(
            f"{problem}. It is the first-order meta-gradient: the inner gradients came back with "
            "no graph of their own. Compute them with create_graph=True when first_order is False",
            "first_order_maml",
        )
    return Mismatch(
        f"{problem}. It is the first-order meta-gradient, and no inner gradient reached the "
        f"parameters while {function} ran, so nothing tells which of two causes it is: the inner "
        "gradients computed without create_graph=True, or their graph cut afterwards (detach(), "
        ".data, torch.no_grad()). Check both",
        "first_order_maml",
    )
