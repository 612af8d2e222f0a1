"""Proof that the `maml` reference is right: meta-gradients against an independent
torch.func implementation, and meta-training that actually learns."""

from __future__ import annotations

import ast
import time

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call, grad

from tests.conftest import ASSIGNMENTS, REFERENCE


class Net(torch.nn.Module):
    """The same MLP as `forward`, as an nn.Module so torch.func can call it functionally."""

    def __init__(self, hidden):
        super().__init__()
        self.l1, self.l2, self.l3 = (
            torch.nn.Linear(1, hidden),
            torch.nn.Linear(hidden, hidden),
            torch.nn.Linear(hidden, 1),
        )

    def forward(self, x):
        return self.l3(torch.relu(self.l2(torch.relu(self.l1(x)))))


NAMES = ["l1.weight", "l1.bias", "l2.weight", "l2.bias", "l3.weight", "l3.bias"]


def func_meta_loss(params, tasks, lr, steps, first_order, net):
    """MAML written with torch.func: functional_call for the net, grad for the inner step."""

    def support_loss(weights, x, y):
        return F.mse_loss(functional_call(net, weights, (x,)), y)

    losses = []
    for xs, ys, xq, yq in tasks:
        weights = dict(zip(NAMES, params, strict=True))
        for _ in range(steps):
            grads = grad(support_loss)(weights, xs, ys)
            if first_order:
                grads = {k: g.detach() for k, g in grads.items()}
            weights = {k: weights[k] - lr * grads[k] for k in NAMES}
        losses.append(F.mse_loss(functional_call(net, weights, (xq,)), yq))
    return torch.stack(losses).mean()


def problem(maml, seed, dtype, hidden=12, n_tasks=3, k=5):
    generator = torch.Generator().manual_seed(seed)
    params = [p.detach().to(dtype).requires_grad_(True) for p in maml.init_params(hidden, generator)]
    tasks = [tuple(t.to(dtype) for t in task) for task in maml.sample_tasks(n_tasks, k, k, generator)]
    return params, tasks


@pytest.mark.parametrize("steps", [1, 3])
@pytest.mark.parametrize("first_order", [False, True])
def test_meta_gradient_matches_torch_func(maml, steps, first_order):
    params, tasks = problem(maml, seed=steps, dtype=torch.float64)
    net = Net(12).double()
    ours = torch.autograd.grad(maml.meta_loss(params, tasks, 0.05, steps, first_order), params)
    theirs = torch.autograd.grad(func_meta_loss(params, tasks, 0.05, steps, first_order, net), params)
    for a, b in zip(ours, theirs, strict=True):
        torch.testing.assert_close(a, b)


def test_first_and_second_order_meta_gradients_differ(maml):
    params, tasks = problem(maml, seed=4, dtype=torch.float64, n_tasks=1)
    second = torch.autograd.grad(maml.meta_loss(params, tasks, 0.1, 1, False), params)
    first = torch.autograd.grad(maml.meta_loss(params, tasks, 0.1, 1, True), params)
    gap = max(float((a - b).abs().max()) for a, b in zip(second, first, strict=True))
    scale = max(float(a.abs().max()) for a in second)
    assert gap > 1e-3 * scale


def test_inner_update_leaves_params_alone_and_stays_differentiable(maml):
    params, [(xs, ys, _, _), *_] = problem(maml, seed=1, dtype=torch.float32)
    before = [p.detach().clone() for p in params]
    loss = F.mse_loss(maml.forward(params, xs), ys)
    updated = maml.inner_update(params, loss, 0.1)
    assert all(torch.equal(p, b) and p.grad is None for p, b in zip(params, before, strict=True))
    assert all(u.requires_grad for u in updated)
    assert maml.adapt(params, xs, ys, 0.1, 0) == params


def test_given_helpers_are_identical_in_stub_and_reference():
    def helpers(path):
        tree = ast.parse(path.read_text())
        return {
            node.name: ast.dump(node)
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name in ("init_params", "forward", "sample_tasks")
        }

    stub = helpers(ASSIGNMENTS / "maml" / "maml.py")
    assert set(stub) == {"init_params", "forward", "sample_tasks"}
    assert stub == helpers(REFERENCE / "maml" / "maml.py")


def test_given_helpers_follow_the_contract(maml):
    params = maml.init_params(40, torch.Generator().manual_seed(0))
    assert [tuple(p.shape) for p in params] == [(40, 1), (40,), (40, 40), (40,), (1, 40), (1,)]
    assert all(p.dtype == torch.float32 and p.requires_grad for p in params)
    assert float(params[2].detach().abs().max()) <= 1 / 40**0.5
    ((xs, ys, xq, yq),) = maml.sample_tasks(1, 7, 3, torch.Generator().manual_seed(0))
    assert xs.shape == (7, 1) and xq.shape == (3, 1) and float(xs.abs().max()) <= 5


def heldout_loss(maml, params, seed=1234):
    tasks = maml.sample_tasks(50, 10, 10, torch.Generator().manual_seed(seed))
    leaves = [p.detach().requires_grad_(True) for p in params]
    losses = [
        F.mse_loss(maml.forward(maml.adapt(leaves, xs, ys, 0.01, 1), xq), yq) for xs, ys, xq, yq in tasks
    ]
    return float(torch.stack(losses).mean())


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_meta_train_halves_the_heldout_loss(maml, seed, record_property):
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(seed)
    params = maml.init_params(generator=generator)
    before = [p.detach().clone() for p in params]
    started = time.perf_counter()
    trained = maml.meta_train(params, 2000, generator=generator)
    seconds = time.perf_counter() - started
    ratio = heldout_loss(maml, trained) / heldout_loss(maml, params)
    record_property("ratio", ratio)
    print(f"seed {seed}: ratio {ratio:.3f} in {seconds:.1f} s")
    assert ratio <= 0.5
    assert all(torch.equal(p.detach(), b) for p, b in zip(params, before, strict=True))
    assert [t.shape for t in trained] == [p.shape for p in params]
