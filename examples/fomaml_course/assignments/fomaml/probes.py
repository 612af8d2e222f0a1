"""Trusted test code that runs beside a `fomaml` module and differentiates through it.

A graph cannot cross to the grader, so each probe drives the test's FOMAML object where it
lives: it calls one method with the object as `self` (guarded: a change to self.weights, their
.grad or the tasks is named) and backpropagates a query loss, built with the course's own
sine_tasks.py, to self.weights. The same probe runs on the reference's object in the grader.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from grader.testing import guarded_call, plain_data

_SPEC = importlib.util.spec_from_file_location(
    "grader_given_sine_tasks", Path(__file__).with_name("sine_tasks.py")
)
GIVEN = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(GIVEN)  # the course's copy: a query loss is never the submission's own
FUNCTIONS: dict[str, Callable[..., Any]] = {}


def _tensors(values: Any) -> list[Tensor] | None:
    """Plain tensors or nn.Parameters only: a subclass could take over what is done with it."""
    ok = isinstance(values, (list, tuple)) and all(type(v) in (Tensor, torch.nn.Parameter) for v in values)
    return list(values) if ok else None


def _gradient(value: Any, leaves: list[Tensor] | None) -> tuple[Tensor, ...] | None:
    """d value / d leaves, None when no gradient reaches them."""
    if leaves is None or type(value) is not Tensor or not value.requires_grad:
        return None
    grads = torch.autograd.grad(value, leaves, allow_unused=True, retain_graph=True)
    if all(g is None for g in grads):
        return None
    return tuple(torch.zeros_like(w) if g is None else g for w, g in zip(leaves, grads, strict=True))


def adapt_outcome(
    module: Any, model: Any, x_support: Tensor, y_support: Tensor, x_query: Tensor, y_query: Tensor
) -> dict[str, Any]:
    """The fast weights, what adapt changed, and the query loss's gradient with respect to
    self.weights (`meta_grads`) and to the fast weights (`fast_grads`): equal when adapt is
    first-order, each inner gradient a constant."""
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
    if _tensors(fast) is not None:
        loss = GIVEN.task_loss(list(fast), x_query, y_query)
        outcome.update(meta_grads=_gradient(loss, weights), fast_grads=_gradient(loss, _tensors(fast)))
    return outcome


def meta_loss_outcome(module: Any, model: Any, tasks: list[tuple[Tensor, ...]]) -> dict[str, Any]:
    """The meta-loss, what meta_loss changed, its gradient with respect to self.weights, and
    the query loss at self.weights unadapted (what a meta-loss that skips adapt gives)."""
    weights = _tensors(model.weights)
    loss, changed = guarded_call(type(model).meta_loss, [model, tasks], names=("self", "tasks"))
    with torch.no_grad():
        unadapted = torch.stack([GIVEN.task_loss(model.weights, xq, yq) for *_, xq, yq in tasks]).mean()
    value = plain_data(loss, "what meta_loss returned")
    return {
        "value": value,
        "changed": changed,
        "meta_grads": _gradient(loss, weights),
        "unadapted": unadapted,
    }


PROBES: dict[str, Callable[..., Any]] = {
    "adapt_outcome": adapt_outcome,
    "meta_loss_outcome": meta_loss_outcome,
}
