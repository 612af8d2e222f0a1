"""Reference solution of `fomaml` (instructors only: never in a release)."""

from __future__ import annotations

import torch
from sine_tasks import Task, init_weights, task_loss
from torch import Tensor


class FOMAML:
    """First-order MAML on sine regression: meta-learns self.weights, an initialisation from
    which inner_steps gradient steps on a task's support set already fit that task."""

    def __init__(
        self,
        hidden: int = 40,
        inner_lr: float = 0.02,
        outer_lr: float = 0.005,
        inner_steps: int = 1,
        seed: int = 0,
    ) -> None:
        torch.manual_seed(seed)
        self.weights = init_weights(hidden)
        self.meta_optimizer = torch.optim.Adam(self.weights, lr=outer_lr)
        self.inner_lr = inner_lr
        self.inner_steps = inner_steps
        self.history: list[float] = []

    def adapt(self, x_support: Tensor, y_support: Tensor) -> list[Tensor]:
        fast = list(self.weights)
        for _ in range(self.inner_steps):
            grads = torch.autograd.grad(task_loss(fast, x_support, y_support), fast)
            fast = [w - self.inner_lr * g for w, g in zip(fast, grads, strict=True)]
        return fast

    def meta_loss(self, tasks: list[Task]) -> Tensor:
        losses = [task_loss(self.adapt(xs, ys), xq, yq) for xs, ys, xq, yq in tasks]
        return torch.stack(losses).mean()

    def train(self, batches: list[list[Task]]) -> None:
        for tasks in batches:
            self.meta_optimizer.zero_grad()
            loss = self.meta_loss(tasks)
            loss.backward()
            self.meta_optimizer.step()
            self.history.append(loss.item())
