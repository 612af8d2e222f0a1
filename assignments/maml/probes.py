"""Trusted test code that runs beside a `maml` module and differentiates through it.

A loss tensor or a meta-gradient cannot cross a process boundary, so each probe builds the
parameters as fresh leaves, calls the graded function, and backpropagates a query loss
through what it returned. The same probe runs against the reference in the grading process
and against the submission in its worker, so both sides compute exactly the same thing.

Each probe calls the function on inputs of every kind the contract allows (`inputs`: the
kinds' names, all of them unless a test asks for fewer): the task tensors requiring grad or
not, the parameters and the task tensors holding a .grad or not (the parameters always require
grad: the meta-gradient is taken with respect to them). For each kind it says what the call
changed of its inputs ("x_support now requires grad") and, from hooks on the parameters,
whether the inner gradients it took had a graph of their own.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from grader.testing import (
    INPUT_KINDS,
    InputKind,
    given_as,
    gradient_around_derivatives,
    guarded_call,
    noting_derivatives,
    on_inputs,
    parameter_names,
)

FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _load_given() -> Any:
    """The stub's given helpers, from the instructor's copy beside this file: a probe runs the
    network with the given `forward`, never with the submission's, so a submission cannot
    route the probe's gradients through a forward of its own."""
    spec = importlib.util.spec_from_file_location(
        "grader_given_maml_helpers", Path(__file__).with_name("maml.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GIVEN = _load_given()
NAMES = {
    name: parameter_names(getattr(GIVEN, name))
    for name in ("inner_update", "adapt", "meta_loss", "meta_train")
}
"""Each graded function's parameter names, from the stub: a change is named after them."""


def _plain_tensors(values: Any) -> bool:
    """Whether student code returned plain tensors: a subclass could take over what a probe
    does with them (__torch_function__), so only exact torch.Tensor is differentiated."""
    return isinstance(values, (list, tuple)) and all(type(v) is Tensor for v in values)


ALL_KINDS = [str(kind) for kind in INPUT_KINDS]
TASK_FIELDS = ("x_support", "y_support", "x_query", "y_query")


def _leaves(params: list[Tensor], kind: InputKind) -> list[Tensor]:
    """The parameters as a graded function receives them: fresh leaves that require grad,
    holding a .grad when the kind says inputs do."""
    return given_as(list(params), InputKind(True, kind.has_grad))


def _named(changes: list[str]) -> list[str]:
    """A task's tensors by their names: "tasks[1][0]" reads "tasks[1]'s x_support"."""
    return [
        re.sub(r"tasks\[(\d+)\]\[([0-3])\]", lambda m: f"tasks[{m[1]}]'s {TASK_FIELDS[int(m[2])]}", c)
        for c in changes
    ]


class InnerGradients:
    """Hooks on the parameters while a graded function runs: each gradient with respect to
    them adds whether it has a graph of its own (taken with create_graph=True)."""

    def __init__(self, leaves: list[Tensor]) -> None:
        self.seen: list[bool] = []
        self._handles = [leaf.register_hook(self._note) for leaf in leaves]

    def _note(self, grad: Tensor) -> None:
        self.seen.append(bool(grad.requires_grad))

    def close(self) -> str | None:
        """Stop watching; "kept" (one had a graph of its own), "none" (none had), or None (no
        gradient reached the parameters)."""
        for handle in self._handles:
            handle.remove()
        if not self.seen:
            return None
        return "kept" if any(self.seen) else "none"


def _called(
    module: Any, function: str, kind: InputKind, leaves: list[Tensor], *args: Any, **kwargs: Any
) -> tuple[Any, list[str], str | None]:
    """`function` on the parameters and `args`: what it returned, what it changed of its
    inputs, and what its inner gradients were ("kept", "none" or None)."""
    watch = InnerGradients(leaves)
    try:
        with on_inputs(kind):
            value, changed = guarded_call(
                getattr(module, function), [leaves, *args], kwargs, names=NAMES[function]
            )
    finally:
        graph = watch.close()
    return value, _named(changed), graph


def _plain(values: Any) -> Any:
    """Detach what came back, keeping its shape for the comparison to judge."""
    if isinstance(values, (list, tuple)):
        return tuple(v.detach() if isinstance(v, Tensor) else v for v in values)
    return values


def _meta_gradient(
    module: Any, adapted: Any, leaves: list[Tensor], x_query: Tensor, y_query: Tensor
) -> tuple[Tensor, ...] | None:
    """d query_loss(adapted) / d leaves; None when the adapted parameters are detached."""
    if not _plain_tensors(adapted):
        return None
    loss = F.mse_loss(GIVEN.forward(list(adapted), x_query), y_query)
    return _gradient(loss, leaves)


def _gradient(value: Any, leaves: list[Tensor]) -> tuple[Tensor, ...] | None:
    if type(value) is not Tensor or not value.requires_grad:
        return None
    grads = torch.autograd.grad(value, leaves, allow_unused=True)
    if all(g is None for g in grads):
        return None
    return tuple(torch.zeros_like(p) if g is None else g for p, g in zip(leaves, grads, strict=True))


def inner_update_outcome(
    module: Any,
    params: list[Tensor],
    x: Tensor,
    y: Tensor,
    lr: float,
    first_order: bool,
    x_query: Tensor,
    y_query: Tensor,
    inputs: list[str] = ALL_KINDS,
) -> list[dict[str, Any]]:
    """For each kind: the updated parameters, what the call changed, the meta-gradient
    through them, and whether the inner gradients kept a graph."""
    outcomes = []
    for kind in map(InputKind.named, inputs):
        leaves = _leaves(params, kind)
        loss = F.mse_loss(GIVEN.forward(leaves, given_as(x, kind)), given_as(y, kind))
        updated, changed, graph = _called(
            module, "inner_update", kind, leaves, loss, lr, first_order=first_order
        )
        outcomes.append(
            {
                "values": _plain(updated),
                "changed": changed,
                "meta_grads": _meta_gradient(module, updated, leaves, x_query, y_query),
                "inner_graph": graph,
            }
        )
    return outcomes


def adapt_outcome(
    module: Any,
    params: list[Tensor],
    x_support: Tensor,
    y_support: Tensor,
    lr: float,
    steps: int,
    first_order: bool,
    x_query: Tensor,
    y_query: Tensor,
    inputs: list[str] = ALL_KINDS,
) -> list[dict[str, Any]]:
    """For each kind: the adapted parameters, what the call changed, the meta-gradient
    through them, and whether the inner gradients kept a graph."""
    outcomes = []
    for kind in map(InputKind.named, inputs):
        leaves = _leaves(params, kind)
        support = given_as([x_support, y_support], kind)
        adapted, changed, graph = _called(
            module, "adapt", kind, leaves, *support, lr, steps, first_order=first_order
        )
        outcomes.append(
            {
                "values": _plain(adapted),
                "changed": changed,
                "meta_grads": _meta_gradient(module, adapted, leaves, x_query, y_query),
                "inner_graph": graph,
            }
        )
    return outcomes


def meta_loss_outcome(
    module: Any,
    params: list[Tensor],
    tasks: list[tuple[Tensor, ...]],
    inner_lr: float,
    inner_steps: int,
    first_order: bool,
    inputs: list[str] = ALL_KINDS,
) -> list[dict[str, Any]]:
    """For each kind: the meta-loss, what the call changed, its gradient w.r.t. params, the
    part of that gradient that reaches them other than through the graphs of the inner
    gradients (`meta_grads_around`: the first-order meta-gradient, for a meta-loss built on
    the inner step), and whether the inner gradients kept a graph."""
    outcomes = []
    for kind in map(InputKind.named, inputs):
        leaves = _leaves(params, kind)
        given = given_as(list(tasks), kind)
        with noting_derivatives():
            value, changed, graph = _called(
                module, "meta_loss", kind, leaves, given, inner_lr, inner_steps, first_order=first_order
            )
        around = gradient_around_derivatives(value, leaves)  # before the graph is freed
        outcomes.append(
            {
                "value": value.detach() if isinstance(value, Tensor) else value,
                "changed": changed,
                "meta_grads": _gradient(value, leaves),
                "meta_grads_around": around,
                "inner_graph": graph,
            }
        )
    return outcomes


def meta_train_outcome(
    module: Any, params: list[Tensor], meta_steps: int, generator: torch.Generator, inputs: str = ALL_KINDS[1]
) -> dict[str, Any]:
    """The trained parameters, and what meta_train changed of the parameters it was handed
    (arriving as `inputs` says; by default requiring grad, as init_params gives them)."""
    kind = InputKind.named(inputs)
    with on_inputs(kind):
        trained, changed = guarded_call(
            module.meta_train,
            [given_as(list(params), kind), meta_steps],
            {"generator": generator},
            names=NAMES["meta_train"],
        )
    return {"trained": _plain(trained), "changed": changed}


def meta_train_without_zero_grad(
    module: Any, params: list[Tensor], meta_steps: int, generator: torch.Generator
) -> dict[str, Any]:
    """What training copies of params gives when its meta-gradients are never zeroed: the
    reference's meta_train with optimizer.zero_grad() left out, each backward adding onto the
    last. Asked of the reference only, to tell a training loop that runs away from its start
    from one that never started there."""
    weights = [p.detach().clone().requires_grad_(True) for p in params]
    optimizer = torch.optim.Adam(weights, lr=0.001)
    for _ in range(meta_steps):
        module.meta_loss(weights, module.sample_tasks(4, 10, 10, generator), 0.01, 1).backward()
        optimizer.step()
    return {"trained": _plain(weights)}


def meta_train_on_every_kind(
    module: Any, params: list[Tensor], meta_steps: int, generator: torch.Generator
) -> list[dict[str, Any]]:
    """A few steps of meta_train from parameters of each kind: what it returned, and what it
    changed of what it was handed (a copy made with clone() alone, say, is no leaf Adam can
    train when params require grad)."""
    return [meta_train_outcome(module, params, meta_steps, generator, inputs) for inputs in ALL_KINDS]


PROBES: dict[str, Callable[..., Any]] = {
    "inner_update_outcome": inner_update_outcome,
    "adapt_outcome": adapt_outcome,
    "meta_loss_outcome": meta_loss_outcome,
    "meta_train_outcome": meta_train_outcome,
    "meta_train_on_every_kind": meta_train_on_every_kind,
    "meta_train_without_zero_grad": meta_train_without_zero_grad,
}
