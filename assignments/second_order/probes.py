"""Trusted test code that runs beside a module: the test functions and the probes.

Functions such as the `f` given to `hessian` cannot cross a process boundary, so tests name
them (``Fn("quartic", a, b)``) and each side builds them here from their tensors. A probe
calls into a module and differentiates through its output; the same probe runs against the
reference in the grading process and against the submission in its worker.

Every graded function is called on inputs of each kind the contract allows (requiring grad or
not, holding a .grad or not): `as_given` makes the copies beside the module and says what the
call changed of them, each named after the stub's parameter ("x now holds a .grad").
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import FunctionType
from typing import Any

import torch
from torch import Tensor

from grader.testing import (
    INPUT_KINDS,
    DerivativeNodes,
    InputKind,
    given_as,
    guarded_call,
    on_inputs,
    parameter_names,
)

PLAIN = InputKind(False, False)


def quartic(a: Tensor, b: Tensor) -> Callable[[Tensor], Tensor]:
    """f(x) = sum(a x^4) + (b . x)^2: a diagonal plus a rank-one Hessian."""
    return lambda x: (a * x**4).sum() + torch.dot(b, x) ** 2


def dot_squared(y: Tensor) -> Callable[[Tensor], Tensor]:
    """f(x) = (x . y)^2, the homework's w as a function of x: Hessian 2 y y^T."""
    return lambda x: torch.dot(x, y) ** 2


def rosenbrock(scale: Tensor) -> Callable[[Tensor], Tensor]:
    """The chained Rosenbrock function: a banded Hessian, O(n) to evaluate."""
    return lambda x: (scale * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def log_sum_exp(a: Tensor, c: Tensor) -> Callable[[Tensor], Tensor]:
    """f(x) = logsumexp(a x) + sum(c sin x): a dense Hessian."""
    return lambda x: torch.logsumexp(a * x, dim=0) + (c * torch.sin(x)).sum()


class Critic:
    """f(x) = tanh(x W1^T + b1) w2 + c sum(x^2): one output per row, with weights.

    Its weights always require grad (their gradients are graded); `given_as` gives a copy whose
    weights hold a .grad when the kind says inputs do. It notes how it is differentiated: each
    gradient that reaches its hidden layer adds to `seen` whether that gradient has a graph of
    its own (create_graph=True). It counts its calls, and shows its own operations to
    `watch` (a probe's :class:`DerivativeNodes`, held by the probe alone), which notes the
    nodes autograd makes when it differentiates them with a graph: a penalty built on the
    input gradient reaches the weights only through those."""

    NAMES = ("W1", "b1", "w2", "c")

    def __init__(self, w1: Tensor, b1: Tensor, w2: Tensor, c: Tensor, kind: InputKind = PLAIN) -> None:
        self.parameters = given_as([w1, b1, w2, c], InputKind(True, kind.has_grad))
        self.seen: list[bool] = []
        self.calls = 0
        self.watch: Callable[..., None] | None = None

    def given_as(self, kind: InputKind) -> Critic:
        return Critic(*self.parameters, kind=kind)

    def __call__(self, x: Tensor) -> Tensor:
        self.calls += 1
        w1, b1, w2, c = self.parameters
        w1_t = w1.T
        product = x @ w1_t
        hidden = product + b1
        if hidden.requires_grad:
            hidden.register_hook(self._note)
        activation = torch.tanh(hidden)
        linear = activation @ w2
        squares = x**2
        total = squares.sum(dim=1)
        scaled = c * total
        out = linear + scaled
        if self.watch is not None:
            self.watch(w1_t, product, hidden, activation, linear, squares, total, scaled, out)
        return out

    def _note(self, grad: Tensor) -> None:
        self.seen.append(bool(grad.requires_grad))


def inner_graph(seen: list[bool]) -> str | None:
    """What the gradients noted while a call ran say of the graph of that call's gradient:
    "kept" (one had a graph of its own), "none" (each had none), None (no gradient seen)."""
    if not seen:
        return None
    return "kept" if any(seen) else "none"


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "quartic": quartic,
    "dot_squared": dot_squared,
    "rosenbrock": rosenbrock,
    "log_sum_exp": log_sum_exp,
    "critic": Critic,
}


def _load_given() -> Any:
    """The instructor's stub beside this file, for the names of the graded functions'
    parameters (a change is named after the parameter that changed)."""
    spec = importlib.util.spec_from_file_location(
        "grader_given_second_order_helpers", Path(__file__).with_name("second_order.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_GIVEN = _load_given()
NAMES = {
    name: parameter_names(value)
    for name, value in vars(_GIVEN).items()
    if isinstance(value, FunctionType) and value.__module__ == _GIVEN.__name__
}
"""Each graded function's parameter names, from the stub."""


def as_given(function: str) -> Callable[..., list[dict[str, Any]]]:
    """A probe that calls `function` on copies of its arguments in each kind the contract
    allows: for each, what it returned and what it changed of what it was given. It bears the
    function's own name, so that an error reads as a call of that function (and says on
    which inputs it was raised)."""

    def probe(module: Any, *args: Any) -> list[dict[str, Any]]:
        target = getattr(module, function)
        outcomes = []
        for kind in INPUT_KINDS:
            with on_inputs(kind):
                value, changed = guarded_call(
                    target, given_as(list(args), kind), names=NAMES.get(function, ())
                )
            outcomes.append({"value": value, "changed": changed})
        return outcomes

    return probe


def penalty_and_weight_grads(module: Any, critic: Critic, x: Tensor) -> list[dict[str, Any]]:
    """For inputs of each kind (x, and the critic's weights): the penalty, whether it is
    differentiable, the gradient it gives each weight, what the call changed of its inputs,
    whether the inner gradient it took kept a graph, and the weights its gradient reaches
    other than through the derivative of the critic's operations (`bypassing`)."""
    outcomes = []
    for kind in INPUT_KINDS:
        f = critic.given_as(kind)
        derivatives, weights = DerivativeNodes(), list(f.parameters)
        f.watch = derivatives.watch
        with on_inputs(kind):
            penalty, changed = guarded_call(
                module.gradient_penalty, [f, given_as(x, kind)], names=NAMES["gradient_penalty"]
            )
        outcomes.append(
            {
                **_structure(derivatives, weights, penalty, f.calls),
                **_backward_to_weights(f, penalty),
                "changed": changed,
                "inner_graph": inner_graph(f.seen),
            }
        )
    return outcomes


def _structure(
    derivatives: DerivativeNodes, weights: list[Tensor], penalty: Any, calls: Any
) -> dict[str, Any]:
    """The critic's weights that the penalty's graph reaches by a path through no node of the
    critic's own derivative, and how many times the penalty called the critic (as the critic
    counted: for a message only). Read before the backward pass frees the graph."""
    reached = derivatives.bypassing(penalty, weights) if type(penalty) is Tensor else []
    return {
        "bypassing": [Critic.NAMES[i] for i in reached],
        "critic_calls": calls if type(calls) is int else -1,
    }


def _backward_to_weights(critic: Critic, penalty: Any) -> dict[str, Any]:
    """The penalty, whether it is differentiable, and the gradient its backward gives each of
    the critic's weights from zeroed gradients (a weight left with None counts as zero)."""
    # Only a plain tensor is differentiated: a subclass could take over .backward().
    differentiable = type(penalty) is Tensor and penalty.requires_grad
    for p in critic.parameters:
        p.grad = None
    if differentiable:
        penalty.backward()
    grads = tuple(torch.zeros_like(p) if p.grad is None else p.grad for p in critic.parameters)
    return {"penalty": penalty, "differentiable": differentiable, "weight_grads": grads}


PROBES: dict[str, Callable[..., Any]] = {
    # one probe per graded function, named after it (built here, not spelt out: a variant of
    # the reference named `<probe>_...` is taken for what a probe sees, and left to the tests)
    **{name: as_given(name) for name in NAMES},
    "penalty_and_weight_grads": penalty_and_weight_grads,
}
