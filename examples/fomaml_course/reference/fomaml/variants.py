"""Known-wrong variants of the `fomaml` reference (instructors only): the course's real
mistakes, each a subclass of the reference's FOMAML overriding the method where the mistake
is made, its docstring starting with its misconception code. `grader validate` grades each
one as a submission and says which tests catch it."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import torch
from fomaml import FOMAML
from sine_tasks import Task, task_loss
from torch import Tensor


class FOMAMLInPlace(FOMAML):
    """in_place_update: adapt steps self.weights themselves, through .data."""

    def adapt(self, x_support: Tensor, y_support: Tensor) -> list[Tensor]:
        for _ in range(self.inner_steps):
            grads = torch.autograd.grad(task_loss(self.weights, x_support, y_support), self.weights)
            for w, g in zip(self.weights, grads, strict=True):
                w.data -= self.inner_lr * g
        return list(self.weights)


class FOMAMLCopiedWeights(FOMAML):
    """detached_fast_weights: adapt starts from detached copies, cut off from self.weights."""

    def adapt(self, x_support: Tensor, y_support: Tensor) -> list[Tensor]:
        fast = [w.detach().clone().requires_grad_(True) for w in self.weights]
        for _ in range(self.inner_steps):
            grads = torch.autograd.grad(task_loss(fast, x_support, y_support), fast)
            fast = [w - self.inner_lr * g for w, g in zip(fast, grads, strict=True)]
        return fast


class FOMAMLSecondOrder(FOMAML):
    """second_order_maml: the inner gradients kept in the graph (create_graph=True)."""

    def adapt(self, x_support: Tensor, y_support: Tensor) -> list[Tensor]:
        fast = list(self.weights)
        for _ in range(self.inner_steps):
            grads = torch.autograd.grad(task_loss(fast, x_support, y_support), fast, create_graph=True)
            fast = [w - self.inner_lr * g for w, g in zip(fast, grads, strict=True)]
        return fast


class FOMAMLNoAdaptation(FOMAML):
    """no_adaptation: the meta-loss is the query loss at self.weights, never adapted."""

    def meta_loss(self, tasks: list[Task]) -> Tensor:
        return torch.stack([task_loss(self.weights, xq, yq) for _, _, xq, yq in tasks]).mean()


class FOMAMLSummed(FOMAML):
    """sum_instead_of_mean: the query losses summed over tasks."""

    def meta_loss(self, tasks: list[Task]) -> Tensor:
        return torch.stack([task_loss(self.adapt(xs, ys), xq, yq) for xs, ys, xq, yq in tasks]).sum()


class FOMAMLNoZeroGrad(FOMAML):
    """meta_grads_accumulate: the meta-optimizer's gradients never cleared between steps."""

    def train(self, batches: list[list[Task]]) -> None:
        for tasks in batches:
            loss = self.meta_loss(tasks)
            loss.backward()
            self.meta_optimizer.step()
            self.history.append(loss.item())


class FOMAMLNoHistory(FOMAML):
    """history_not_kept: the meta-steps are taken, the meta-losses never appended."""

    def train(self, batches: list[list[Task]]) -> None:
        for tasks in batches:
            self.meta_optimizer.zero_grad()
            self.meta_loss(tasks).backward()
            self.meta_optimizer.step()


def _trained(
    ref: ModuleType, variant: str, config: dict[str, Any], batches: list[list[Task]]
) -> dict[str, Any]:
    """The history and weights a variant's train leaves: what a test names a mistake by."""
    model = globals()[variant](**config)
    model.train(batches)
    return {"history": torch.tensor(model.history, dtype=torch.float32), "weights": list(model.weights)}
