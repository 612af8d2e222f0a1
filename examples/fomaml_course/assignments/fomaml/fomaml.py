"""Homework: first-order MAML (FOMAML) on sine-wave regression.

MAML meta-learns an initialisation of a network's weights: a point from which a few gradient
steps on a new task's handful of support points already fit that task. For each task:

    adapt:      fast = w - inner_lr * grad_w loss(support; w)      (inner_steps times)
    meta-loss:  L(w) = mean over tasks of loss(query; fast)

Full MAML differentiates L through the inner gradient, which costs second derivatives.
First-order MAML treats each inner gradient as a constant: fast still depends on w through
the "w" term, so L.backward() gives w the gradient of the query loss at the fast weights,
and no second derivative is ever taken.

The class FOMAML below holds the shared weights and their meta-optimizer; its __init__ is
given. Write adapt, meta_loss and train. Never change self.weights while adapting: only
train changes them, through the meta-optimizer. The module sine_tasks.py is given beside
this file (tasks, the network, the loss): use it, and do not change it. Run ``grader check``.
"""

from __future__ import annotations

import torch
from sine_tasks import Task, forward, init_weights, sample_tasks, task_loss
from torch import Tensor


class FOMAML:
    """First-order MAML on sine regression: meta-learns self.weights."""

    def __init__(self, hidden: int = 40, inner_lr: float = 0.02, outer_lr: float = 0.005,
                 inner_steps: int = 1, seed: int = 0) -> None:
        """Given: seeds torch's global RNG, draws the weights, makes their Adam optimizer."""
        torch.manual_seed(seed)
        self.weights = init_weights(hidden)
        self.meta_optimizer = torch.optim.Adam(self.weights, lr=outer_lr)
        self.inner_lr = inner_lr
        self.inner_steps = inner_steps
        self.history: list[float] = []

    def adapt(self, x_support: Tensor, y_support: Tensor) -> list[Tensor]:
        """Return the fast weights after inner_steps steps of w - inner_lr * g on the support
        loss ``task_loss(w, x_support, y_support)``, starting from self.weights.

        Take each g with ``torch.autograd.grad`` (no create_graph: first-order). Build new
        tensors: the fast weights must still depend on self.weights, so that a query loss
        on them, backpropagated, reaches self.weights. Leave self.weights and their .grad
        exactly as they were.
        """
        raise NotImplementedError("FOMAML.adapt")

    def meta_loss(self, tasks: list[Task]) -> Tensor:
        """Return the mean over tasks of the query loss at the task's fast weights.

        Each task is (x_support, y_support, x_query, y_query): adapt on the support set,
        then ``task_loss(fast, x_query, y_query)``. Its .backward() gives self.weights the
        first-order meta-gradient.
        """
        raise NotImplementedError("FOMAML.meta_loss")

    def train(self, batches: list[list[Task]]) -> None:
        """One meta-step per batch of tasks, returning nothing.

        Each step: clear the meta-optimizer's gradients, backpropagate the batch's meta_loss,
        step the meta-optimizer, and append the meta-loss (a float) to self.history.
        """
        raise NotImplementedError("FOMAML.train")
