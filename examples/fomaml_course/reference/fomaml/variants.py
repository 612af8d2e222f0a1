"""Known-wrong variants of the `fomaml` reference (instructors only): the course's real
mistakes, each a subclass of the reference's FOMAML overriding the method that makes it."""

from __future__ import annotations

from typing import Any

import torch
from fomaml import FOMAML
from sine_tasks import Task, task_loss
from torch import Tensor


class FOMAMLInPlace(FOMAML):
    """in_place_update: adapt steps self.weights themselves (w.data -= lr * g)."""

    def adapt(self, x_support: Tensor, y_support: Tensor) -> list[Tensor]:
        for w, fast in zip(self.weights, super().adapt(x_support, y_support), strict=True):
            w.data.copy_(fast.data)
        return list(self.weights)


class FOMAMLCopiedWeights(FOMAML):
    """detached_fast_weights: the fast weights cut off from self.weights (detached copies)."""

    def adapt(self, x_support: Tensor, y_support: Tensor) -> list[Tensor]:
        return [w.detach().requires_grad_(True) for w in super().adapt(x_support, y_support)]


class FOMAMLSecondOrder(FOMAML):
    """second_order_maml: the inner gradients kept in the graph (create_graph=True)."""

    def adapt(self, x_support: Tensor, y_support: Tensor) -> list[Tensor]:
        fast = list(self.weights)
        for _ in range(self.inner_steps):
            grads = torch.autograd.grad(task_loss(fast, x_support, y_support), fast, create_graph=True)
            fast = [w - self.inner_lr * g for w, g in zip(fast, grads, strict=True)]
        return fast


class FOMAMLNoAdaptation(FOMAML):
    """no_adaptation: the query loss at self.weights, never adapted."""

    def meta_loss(self, tasks: list[Task]) -> Tensor:
        return torch.stack([task_loss(self.weights, xq, yq) for _, _, xq, yq in tasks]).mean()


class FOMAMLSummed(FOMAML):
    """sum_instead_of_mean: the query losses summed over tasks."""

    def meta_loss(self, tasks: list[Task]) -> Tensor:
        return super().meta_loss(tasks) * len(tasks)


class FOMAMLNoZeroGrad(FOMAML):
    """meta_grads_accumulate: the meta-optimizer's gradients never cleared between steps."""

    def train(self, batches: list[list[Task]]) -> None:
        self.meta_optimizer.zero_grad = lambda set_to_none=True: None
        super().train(batches)


class FOMAMLNoHistory(FOMAML):
    """history_not_kept: the meta-steps taken, their losses never appended."""

    def train(self, batches: list[list[Task]]) -> None:
        super().train(batches)
        del self.history[len(self.history) - len(batches) :]


def _trained(ref: Any, variant: str, config: dict[str, Any], batches: list[list[Task]]) -> dict[str, Any]:
    """The history and weights a variant's train leaves, for a test to name its mistake."""
    model = globals()[variant](**config)
    model.train(batches)
    return {"history": torch.tensor(model.history, dtype=torch.float32), "weights": list(model.weights)}
