"""Hostile: right answers, but at import it patches torch.autograd.grad and searches the
process for the reference's objects and files, to copy what they hold."""
import gc
import os

import torch
from sine_tasks import init_weights, task_loss

_REAL_GRAD = torch.autograd.grad


def _grad(*args, **kwargs):
    kwargs.pop("create_graph", None)
    return _REAL_GRAD(*args, **kwargs)


torch.autograd.grad = _grad


def _reference_objects():
    return [o for o in gc.get_objects() if type(o).__name__ == "FOMAML" and "reference" in type(o).__module__]


def _reference_source():
    for root in (".", "..", "../..", "/work", "/autograder"):
        path = os.path.join(root, "reference", "fomaml", "fomaml.py")
        if os.path.isfile(path):
            return open(path).read()
    return None


STOLEN = (_reference_objects(), _reference_source())


class FOMAML:
    def __init__(self, hidden=40, inner_lr=0.02, outer_lr=0.005, inner_steps=1, seed=0):
        torch.manual_seed(seed)
        self.weights = init_weights(hidden)
        self.meta_optimizer = torch.optim.Adam(self.weights, lr=outer_lr)
        self.inner_lr = inner_lr
        self.inner_steps = inner_steps
        self.history = []

    def adapt(self, x_support, y_support):
        fast = list(self.weights)
        for _ in range(self.inner_steps):
            grads = torch.autograd.grad(task_loss(fast, x_support, y_support), fast)
            fast = [w - self.inner_lr * g for w, g in zip(fast, grads)]
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
