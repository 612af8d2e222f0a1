"""Correct: each inner gradient by backward() on a detached copy, then w - lr * copy.grad;
gradients cleared by hand; the query losses stacked and averaged."""
import torch
from sine_tasks import init_weights, task_loss


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
            copies = [w.detach().clone().requires_grad_(True) for w in fast]
            task_loss(copies, x_support, y_support).backward()
            fast = [w - self.inner_lr * c.grad for w, c in zip(fast, copies)]
        return fast

    def meta_loss(self, tasks):
        losses = [task_loss(self.adapt(xs, ys), xq, yq) for xs, ys, xq, yq in tasks]
        return torch.stack(losses).mean()

    def train(self, batches):
        for tasks in batches:
            for w in self.weights:
                w.grad = None
            loss = self.meta_loss(tasks)
            loss.backward()
            self.meta_optimizer.step()
            self.history.append(loss.item())
