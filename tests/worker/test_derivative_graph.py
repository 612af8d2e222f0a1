"""The structure checks of grader/worker/derivative_graph.py, in process, on small graphs.

A penalty built on the input gradient of a watched critic reaches its weights only through the
critic's derivative, however the gradient is taken; a surrogate that hands the weights numbers
reaches them directly, and so does one that slips a tensor through a hook or hides its edges in
a custom Function. A meta-loss's gradient around the inner gradients is its first-order part.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F
from torch.autograd import grad

from grader.worker.derivative_graph import DerivativeNodes, gradient_around_derivatives, noting_derivatives

Tensor = torch.Tensor


class Critic:
    """f(x) = tanh(x W1^T + b1) w2 + c sum(x^2), showing every operation to `nodes` (one left
    out would be a path around its derivative)."""

    def __init__(self, seed: int = 0) -> None:
        generator = torch.Generator().manual_seed(seed)
        shapes = [(6, 3), (6,), (6,), ()]
        self.weights = [
            torch.randn(s, generator=generator, dtype=torch.float64).requires_grad_() for s in shapes
        ]
        self.nodes = DerivativeNodes()

    def __call__(self, x: Tensor) -> Tensor:
        w1, b1, w2, c = self.weights
        w1_t = w1.T
        product = x @ w1_t
        hidden = product + b1
        activation = torch.tanh(hidden)
        linear = activation @ w2
        squares = x**2
        total = squares.sum(dim=1)
        scaled = c * total
        out = linear + scaled
        self.nodes.watch(w1_t, product, hidden, activation, linear, squares, total, scaled, out)
        return out


def leaf(x: Tensor) -> Tensor:
    return x.detach().clone().requires_grad_(True)


def with_autograd_grad(f: Critic, x: Tensor) -> Tensor:
    x = leaf(x)
    (g,) = grad(f(x).sum(), x, create_graph=True)
    return g.pow(2).sum(1).mean()


def with_backward(f: Critic, x: Tensor) -> Tensor:
    x = leaf(x)
    f(x).sum().backward(create_graph=True, inputs=[x])
    return (x.grad * x.grad).sum(1).mean()


def with_row_loop(f: Critic, x: Tensor) -> Tensor:
    rows = [leaf(row.unsqueeze(0)) for row in x]
    return torch.stack([grad(f(r).sum(), r, create_graph=True)[0].pow(2).sum() for r in rows]).mean()


def with_vmap_grad(f: Critic, x: Tensor) -> Tensor:
    per_row = torch.func.vmap(torch.func.grad(lambda row: f(row.unsqueeze(0)).squeeze(0)))(x)
    return per_row.pow(2).sum(1).mean()


def with_jacobian(f: Critic, x: Tensor) -> Tensor:
    g = torch.autograd.functional.jacobian(lambda z: f(z).sum(), x, create_graph=True)
    return g.pow(2).sum(1).mean()


def carried(value: Tensor, weights: list[Tensor], grads: list[Tensor]) -> Tensor:
    """value, with backward() handing each weight the given gradient."""
    return value.detach() + sum(
        (w * g).sum() - (w * g).sum().detach() for w, g in zip(weights, grads, strict=True)
    )


def surrogate(f: Critic, x: Tensor) -> Tensor:
    """No create_graph; the weights' true gradients, had elsewhere, carried by a surrogate term."""
    twin = Critic()
    true = grad(with_autograd_grad(twin, x), twin.weights)
    x = leaf(x)
    (g,) = grad(f(x).sum(), x)
    return carried(g.pow(2).sum(1).mean(), f.weights, list(true))


def slipped_through_a_hook(f: Critic, x: Tensor) -> Tensor:
    """A weight-dependent tensor handed to the critic's backward by a hook: handed through
    unchanged by an addition's backward, it is no derivative of the critic."""
    x = leaf(x)
    out = f(x)
    fake = torch.ones_like(out) + sum((w * 0).sum() for w in f.weights)
    out.register_hook(lambda _: fake)
    (g,) = grad(out.sum(), x)
    return g.pow(2).sum(1).mean().detach() + fake.sum() - fake.sum().detach()


class Hidden(torch.autograd.Function):
    """The identity, whose node claims to have no edges."""

    @staticmethod
    def forward(ctx, value):  # noqa: ANN001, ANN205 - autograd's own signature
        return value.clone()

    @staticmethod
    def backward(ctx, grad_output):  # noqa: ANN001, ANN205
        return grad_output


Hidden._backward_cls.next_functions = property(lambda self: ())  # type: ignore[attr-defined]


def behind_a_custom_function(f: Critic, x: Tensor) -> Tensor:
    return Hidden.apply(surrogate(f, x))


X = torch.randn(5, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
CORRECT = [with_autograd_grad, with_backward, with_row_loop, with_vmap_grad, with_jacobian]
SURROGATES = [surrogate, slipped_through_a_hook, behind_a_custom_function]


@pytest.mark.parametrize("penalty", CORRECT, ids=lambda p: p.__name__)
def test_a_penalty_on_the_input_gradient_reaches_the_weights_only_through_its_derivative(
    penalty: Callable[[Critic, Tensor], Tensor],
):
    f = Critic()
    value = penalty(f, X)
    assert len(f.nodes) > 0
    assert f.nodes.bypassing(value, f.weights) == []
    twin = Critic()
    expected = grad(with_autograd_grad(twin, X), twin.weights)
    got = grad(value, f.weights)
    assert all(torch.allclose(a, b) for a, b in zip(got, expected, strict=True))


@pytest.mark.parametrize("penalty", SURROGATES, ids=lambda p: p.__name__)
def test_a_surrogate_reaches_every_weight_around_it(penalty: Callable[[Critic, Tensor], Tensor]):
    f = Critic()
    assert f.nodes.bypassing(penalty(f, X), f.weights) == [0, 1, 2, 3]


def test_create_graph_then_a_surrogate_is_still_a_surrogate():
    """Taking the gradient with create_graph=True does not excuse a term that carries numbers."""
    f = Critic()
    honest = with_autograd_grad(f, X)
    value = honest * 0 + carried(honest, f.weights, [torch.ones_like(w) for w in f.weights])
    assert f.nodes.bypassing(value, f.weights) == [0, 1, 2, 3]


def forward(params: list[Tensor], x: Tensor) -> Tensor:
    w1, b1, w2 = params
    return torch.relu(x @ w1.T + b1) @ w2.T


def meta_loss(params: list[Tensor], x: Tensor, y: Tensor, lr: float, first_order: bool) -> Tensor:
    inner = grad(F.mse_loss(forward(params, x), y), params, create_graph=not first_order)
    adapted = [p - lr * g for p, g in zip(params, inner, strict=True)]
    return F.mse_loss(forward(adapted, x.flip(0)), y.flip(0))


def test_a_meta_loss_gradient_around_its_inner_gradients_is_the_first_order_one():
    generator = torch.Generator().manual_seed(2)
    params = [torch.randn(s, generator=generator, dtype=torch.float64) for s in [(8, 1), (8,), (1, 8)]]
    x, y = torch.randn(6, 1, generator=generator, dtype=torch.float64), torch.randn(6, 1, dtype=torch.float64)

    def run(first_order: bool) -> tuple[tuple[Tensor, ...] | None, tuple[Tensor, ...]]:
        leaves = [p.clone().requires_grad_() for p in params]
        with noting_derivatives():
            value = meta_loss(leaves, x, y, 0.3, first_order)
        return gradient_around_derivatives(value, leaves), grad(value, leaves)

    around, second_order = run(False)
    _, first_order = run(True)
    assert around is not None
    assert all(torch.allclose(a, b) for a, b in zip(around, first_order, strict=True))
    assert not all(torch.allclose(a, b) for a, b in zip(second_order, first_order, strict=True))
    leaves = [p.clone().requires_grad_() for p in params]
    with noting_derivatives():
        numbers = carried(meta_loss(leaves, x, y, 0.3, True), leaves, list(second_order))
    surrogate_around = gradient_around_derivatives(numbers, leaves)
    assert surrogate_around is not None
    assert all(torch.allclose(a, b) for a, b in zip(surrogate_around, second_order, strict=True))
    assert not torch.is_anomaly_enabled()
