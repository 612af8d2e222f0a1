"""Trusted test code that runs beside a `fomaml` module and differentiates through it.

A graph cannot cross to the grader, so each probe drives the test's FOMAML object where it
lives, calls one method with the object as `self` (guarded: a change to self.weights, their
.grad or the tasks is named), and backpropagates a query loss, built with the course's own
network, to self.weights. The same probe runs on the reference's object in the grader.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from grader.testing import guarded_call, plain_data


def _load_given() -> Any:
    """sine_tasks.py, the course's copy beside this file: the query loss is never the
    submission's own."""
    spec = importlib.util.spec_from_file_location(
        "grader_given_sine_tasks", Path(__file__).with_name("sine_tasks.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GIVEN = _load_given()
FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _tensors(values: Any) -> list[Tensor] | None:
    """Tensors a probe may differentiate: a list of plain tensors or nn.Parameters (a subclass
    of its own could take over what is done with it)."""
    if not isinstance(values, (list, tuple)):
        return None
    plain = all(type(v) in (Tensor, torch.nn.Parameter) for v in values)
    return list(values) if plain else None


def _gradient(value: Any, leaves: list[Tensor] | None) -> tuple[Tensor, ...] | None:
    """d value / d leaves, None when no gradient reaches them."""
    if leaves is None or type(value) is not Tensor or not value.requires_grad:
        return None
    wanted = [leaf for leaf in leaves if leaf.requires_grad]
    grads = iter(torch.autograd.grad(value, wanted, allow_unused=True, retain_graph=True))
    found = [next(grads) if leaf.requires_grad else None for leaf in leaves]
    if all(g is None for g in found):
        return None
    return tuple(torch.zeros_like(w) if g is None else g for w, g in zip(leaves, found, strict=True))


def adapt_outcome(
    module: Any, model: Any, x_support: Tensor, y_support: Tensor, x_query: Tensor, y_query: Tensor
) -> dict[str, Any]:
    """The fast weights, what adapt changed, and the query loss's gradient with respect to
    self.weights (`meta_grads`) and to the fast weights themselves (`fast_grads`): equal when
    adapt is first-order, each inner gradient a constant."""
    weights = _tensors(model.weights)
    fast, changed = guarded_call(
        type(model).adapt, [model, x_support, y_support], names=("self", "x_support", "y_support")
    )
    outcome = {
        "values": plain_data(fast, "what adapt returned"),
        "changed": changed,
        "meta_grads": None,
        "fast_grads": None,
    }
    if _tensors(fast) is not None and weights is not None:
        loss = GIVEN.task_loss(list(fast), x_query, y_query)
        outcome["meta_grads"] = _gradient(loss, weights)
        outcome["fast_grads"] = _gradient(loss, list(fast))
    return outcome


def meta_loss_outcome(module: Any, model: Any, tasks: list[tuple[Tensor, ...]]) -> dict[str, Any]:
    """The meta-loss, what meta_loss changed, its gradient with respect to self.weights, and
    the query loss at self.weights unadapted (what a meta-loss that skips adapt gives)."""
    weights = _tensors(model.weights)
    loss, changed = guarded_call(type(model).meta_loss, [model, tasks], names=("self", "tasks"))
    unadapted = None
    if weights is not None:
        with torch.no_grad():
            unadapted = torch.stack([GIVEN.task_loss(weights, xq, yq) for _, _, xq, yq in tasks]).mean()
    return {
        "value": plain_data(loss, "what meta_loss returned"),
        "changed": changed,
        "meta_grads": _gradient(loss, weights),
        "unadapted": unadapted,
    }


PROBES: dict[str, Callable[..., Any]] = {
    "adapt_outcome": adapt_outcome,
    "meta_loss_outcome": meta_loss_outcome,
}
