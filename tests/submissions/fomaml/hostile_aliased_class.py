"""Hostile: right answers, but the class is written under another name and bound to FOMAML
afterwards, and adapt touches numpy's __array_interface__ (an array over any address, with no
audit event: only the static look stands there). Looked up by the question's name, FOMAML is
no definition of the module, so a static look that starts from it finds nothing."""

import numpy as np
import torch
from sine_tasks import init_weights, task_loss


def _address_of(tensor):
    return np.asarray(tensor.detach()).__array_interface__["data"][0]


class _Learner:
    def __init__(self, hidden=40, inner_lr=0.02, outer_lr=0.005, inner_steps=1, seed=0):
        torch.manual_seed(seed)
        self.weights = init_weights(hidden)
        self.meta_optimizer = torch.optim.Adam(self.weights, lr=outer_lr)
        self.inner_lr = inner_lr
        self.inner_steps = inner_steps
        self.history = []

    def adapt(self, x_support, y_support):
        self.where = [_address_of(w) for w in self.weights]  # any address: read or write it
        fast = list(self.weights)
        for _ in range(self.inner_steps):
            grads = torch.autograd.grad(task_loss(fast, x_support, y_support), fast)
            fast = [w - self.inner_lr * g for w, g in zip(fast, grads, strict=True)]
        return fast

    def meta_loss(self, tasks):
        return torch.stack([task_loss(self.adapt(xs, ys), xq, yq) for xs, ys, xq, yq in tasks]).mean()

    def train(self, batches):
        for tasks in batches:
            self.meta_optimizer.zero_grad()
            loss = self.meta_loss(tasks)
            loss.backward()
            self.meta_optimizer.step()
            self.history.append(loss.item())


FOMAML = _Learner
