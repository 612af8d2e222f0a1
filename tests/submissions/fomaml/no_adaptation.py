"""Mistake: the meta-loss on the shared weights, never adapted (no_adaptation)."""
import torch
from sine_tasks import forward, init_weights, task_loss


class FOMAML:
    def __init__(self, hidden=40, inner_lr=0.02, outer_lr=0.005, inner_steps=1, seed=0):
        torch.manual_seed(seed)
        self.weights = init_weights(hidden)
        self.meta_optimizer = torch.optim.Adam(self.weights, lr=outer_lr)
        self.inner_lr = inner_lr
        self.inner_steps = inner_steps
        self.history = []

    def adapt(self, x_support, y_support):
        fast = [w for w in self.weights]
        for step in range(self.inner_steps):
            loss = task_loss(fast, x_support, y_support)
            grads = torch.autograd.grad(loss, fast)
            new_fast = []
            for w, g in zip(fast, grads):
                new_fast.append(w - self.inner_lr * g)
            fast = new_fast
        return fast

    def meta_loss(self, tasks):
        total = 0.0
        for x_support, y_support, x_query, y_query in tasks:
            total = total + task_loss(self.weights, x_query, y_query)
        return total / len(tasks)

    def train(self, batches):
        for tasks in batches:
            self.meta_optimizer.zero_grad(set_to_none=True)
            loss = self.meta_loss(tasks)
            loss.backward()
            self.meta_optimizer.step()
            self.history.append(float(loss.detach()))
