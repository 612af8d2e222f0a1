"""Trusted test code that runs beside a `maml` module and differentiates through it.

A loss tensor or a meta-gradient cannot cross a process boundary, so each probe builds the
parameters as fresh leaves, calls the graded function, and backpropagates a query loss
through what it returned. The same probe runs against the reference in the grading process
and against the submission in its worker, so both sides compute exactly the same thing.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from grader.testing import InputSnapshot

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


def _plain_tensors(values: Any) -> bool:
    """Whether student code returned plain tensors: a subclass could take over what a probe
    does with them (__torch_function__), so only exact torch.Tensor is differentiated."""
    return isinstance(values, (list, tuple)) and all(type(v) is Tensor for v in values)


def _leaves(params: list[Tensor]) -> list[Tensor]:
    return [p.detach().clone().requires_grad_(True) for p in params]


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
) -> dict[str, Any]:
    """The updated parameters, whether params changed, and the meta-gradient through them."""
    leaves = _leaves(params)
    loss = F.mse_loss(GIVEN.forward(leaves, x), y)
    snapshot = InputSnapshot.take([leaves], {})
    updated = module.inner_update(leaves, loss, lr, first_order=first_order)
    changed = snapshot.changes([leaves], {})
    return {
        "values": _plain(updated),
        "params_changed": changed,
        "meta_grads": _meta_gradient(module, updated, leaves, x_query, y_query),
    }


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
) -> dict[str, Any]:
    """The adapted parameters, whether params changed, and the meta-gradient through them."""
    leaves = _leaves(params)
    snapshot = InputSnapshot.take([leaves], {})
    adapted = module.adapt(leaves, x_support, y_support, lr, steps, first_order=first_order)
    changed = snapshot.changes([leaves], {})
    return {
        "values": _plain(adapted),
        "params_changed": changed,
        "meta_grads": _meta_gradient(module, adapted, leaves, x_query, y_query),
    }


def meta_loss_outcome(
    module: Any,
    params: list[Tensor],
    tasks: list[tuple[Tensor, ...]],
    inner_lr: float,
    inner_steps: int,
    first_order: bool,
) -> dict[str, Any]:
    """The meta-loss, whether params changed, and its gradient w.r.t. params."""
    leaves = _leaves(params)
    snapshot = InputSnapshot.take([leaves], {})
    value = module.meta_loss(leaves, list(tasks), inner_lr, inner_steps, first_order=first_order)
    changed = snapshot.changes([leaves], {})
    return {
        "value": value.detach() if isinstance(value, Tensor) else value,
        "params_changed": changed,
        "meta_grads": _gradient(value, leaves),
    }


def meta_train_outcome(
    module: Any, params: list[Tensor], meta_steps: int, generator: torch.Generator
) -> dict[str, Any]:
    """The trained parameters, and whether the caller's parameters changed."""
    leaves = _leaves(params)
    snapshot = InputSnapshot.take([leaves], {})
    trained = module.meta_train(leaves, meta_steps, generator=generator)
    return {"trained": _plain(trained), "params_changed": snapshot.changes([leaves], {})}


PROBES: dict[str, Callable[..., Any]] = {
    "inner_update_outcome": inner_update_outcome,
    "adapt_outcome": adapt_outcome,
    "meta_loss_outcome": meta_loss_outcome,
    "meta_train_outcome": meta_train_outcome,
}
