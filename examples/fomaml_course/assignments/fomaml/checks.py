"""Comparisons shared by the public and hidden `fomaml` tests (the `checks` fixture).

Each check says what a student needs: what a method changed that it should have left alone,
whether the fast weights still reach self.weights, whether the meta-gradient is first-order
(told by its structure: through adapt it must equal the gradient at the fast weights), and
whether training follows the reference's from the same start.
"""

from __future__ import annotations

from typing import Any

import torch

from grader.testing import Mismatch, difference, expect, expect_at_most, expect_close


def draw(given: Any, seed: int, n: int, k: int = 10) -> list[Any]:
    return given.sample_tasks(n, k, k, torch.Generator().manual_seed(seed))


def expect_untouched(method: str, outcome: dict[str, Any]) -> None:
    changed = outcome["changed"]
    more = f"; and {len(changed) - 2} more" if len(changed) > 2 else ""
    expect(
        not changed,
        f"FOMAML.{method} changed what it should leave alone ({'; '.join(changed[:2])}{more}): adapt "
        "builds new tensors (w - inner_lr * g) and never steps or fills self.weights",
        "in_place_update",
    )


def expect_adapted(got: dict[str, Any], expected: dict[str, Any]) -> None:
    """self.weights left alone, the fast weights' values, and a first-order path back."""
    expect_untouched("adapt", got)
    expect_close(got["values"], expected["values"], what="the fast weights adapt returned")
    expect(
        got["meta_grads"] is not None,
        "a query loss on the fast weights gives self.weights no gradient: the fast weights no "
        "longer depend on them (a detach(), .data, torch.no_grad() or a copy made before the steps)",
        "detached_fast_weights",
    )
    if problem := difference(got["meta_grads"], got["fast_grads"], "the gradient through adapt"):
        raise Mismatch(
            f"{problem}, taking the gradient at the fast weights as expected: the fast weights "
            "depend on self.weights through the inner gradients too, so the meta-gradient is "
            "second-order. Take each inner gradient without create_graph=True",
            "second_order_maml",
        )
    expect_close(got["meta_grads"], expected["meta_grads"], what="the meta-gradient through adapt")


def expect_meta_loss(got: dict[str, Any], expected: dict[str, Any], n_tasks: int) -> None:
    """Nothing changed, the value (a mean over tasks, on adapted weights), its meta-gradient."""
    expect_untouched("meta_loss", got)
    mistakes = [("sum_instead_of_mean", expected["value"] * n_tasks), ("no_adaptation", got["unadapted"])]
    expect_close(got["value"], expected["value"], what="the meta-loss", variants=mistakes)
    expect(
        got["meta_grads"] is not None, "the meta-loss gives self.weights no gradient", "detached_fast_weights"
    )
    expect_close(got["meta_grads"], expected["meta_grads"], what="the meta-gradient of the meta-loss")


def expect_trained(model: Any, ref: Any, n_steps: int, mistakes: Any) -> None:
    """One float per meta-step in history, and the history and weights the reference's
    training leaves (or a known mistake's)."""
    history = model.history
    expect(
        isinstance(history, list) and len(history) == n_steps,
        f"after {n_steps} meta-steps in all, self.history holds "
        f"{len(history) if isinstance(history, list) else repr(history)} entries: train appends "
        "every step's meta-loss to it",
        "history_not_kept",
    )
    expect_close(state(model), state(ref), what="what train left", variants=mistakes)


def state(model: Any) -> dict[str, Any]:
    return {"history": torch.tensor(model.history, dtype=torch.float32), "weights": list(model.weights)}


def expect_learned(given: Any, tasks: list[Any], model: Any, ref: Any, starts: tuple[Any, Any]) -> None:
    """Training moved the weights the way the reference's training moved its own from the same
    start (weights made elsewhere do not), to a held-out loss at most 1.12 times its."""
    got, wanted = model.weights, ref.weights
    change, expected = _change(starts[0], got), _change(starts[1], wanted)
    agreement = float(change @ expected / (change.norm() * expected.norm() + 1e-30))
    expect(
        agreement >= 0.3,
        f"what train changed in self.weights does not follow what training them does (correlation "
        f"{agreement:.2f} with the reference's change from the same start on the same batches, "
        "at least 0.3 expected): train the weights __init__ made, on the batches train is handed",
    )
    ratio = heldout_loss(given, got, tasks) / heldout_loss(given, wanted, tasks)
    expect_at_most(ratio, 1.12, what="the held-out loss after 600 meta-steps, over the reference's")


def _change(start: list[torch.Tensor], end: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([(b - a).flatten() for a, b in zip(start, end, strict=True)])


def heldout_loss(given: Any, weights: list[torch.Tensor], tasks: list[Any], inner_lr: float = 0.02) -> float:
    """The mean query loss after one inner step from `weights`, with the course's network."""
    losses = []
    for x_support, y_support, x_query, y_query in tasks:
        fast = [w.detach().requires_grad_(True) for w in weights]
        grads = torch.autograd.grad(given.task_loss(fast, x_support, y_support), fast)
        with torch.no_grad():
            losses.append(
                given.task_loss(
                    [w - inner_lr * g for w, g in zip(fast, grads, strict=True)], x_query, y_query
                )
            )
    return float(torch.stack(losses).mean())
