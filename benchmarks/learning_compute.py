"""What maml's public learning test computes, run in plain Python: no grader, no pytest.

    python benchmarks/learning_compute.py MAML_PY

It imports torch and the student's file, then makes the calls `test_meta_train_quick` makes
of it (200 meta-steps of meta_train, then 2 steps from parameters of each input kind) and the
test's own two held-out losses, on one torch thread as the check's worker runs them. Its time
beside `import torch` is the learning test's own compute: `benchmarks/check_time.py` runs it
in the same rounds, as the baseline of maml's target (the check within 0.5 s of it).
Not part of the test suite.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings

import torch
import torch.nn.functional as F

QUICK_STEPS = 200
"""As assignments/maml/tests/test_public.py's quick learning test."""
HELD_OUT_TASKS = 50


def load(path: str):  # noqa: ANN201 - the student's module
    spec = importlib.util.spec_from_file_location("maml", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def heldout_loss(module, params, seed: int, k: int = 10, lr: float = 0.01) -> float:  # noqa: ANN001
    """The test's own measure: one SGD step per held-out task, then its query loss."""
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for xs, ys, xq, yq in module.sample_tasks(HELD_OUT_TASKS, k, k, generator):
        leaves = [p.detach().clone().requires_grad_(True) for p in params]
        grads = torch.autograd.grad(F.mse_loss(module.forward(leaves, xs), ys), leaves)
        adapted = [p - lr * g for p, g in zip(leaves, grads, strict=True)]
        losses.append(float(F.mse_loss(module.forward(adapted, xq), yq)))
    return sum(losses) / len(losses)


def as_kind(params, requires_grad: bool, has_grad: bool):  # noqa: ANN001, ANN201
    """Fresh copies of params as one of the contract's input kinds."""
    copies = [p.detach().clone().requires_grad_(requires_grad) for p in params]
    if has_grad:
        for copy in copies:
            copy.grad = torch.zeros_like(copy)
    return copies


def main() -> None:
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
    module = load(sys.argv[1])
    params = [p.detach() for p in module.init_params(40, torch.Generator().manual_seed(1))]
    trained = module.meta_train(
        as_kind(params, True, False), QUICK_STEPS, generator=torch.Generator().manual_seed(2)
    )
    for requires_grad in (True, False):
        for has_grad in (False, True):
            module.meta_train(
                as_kind(params, requires_grad, has_grad), 2, generator=torch.Generator().manual_seed(3)
            )
    before = heldout_loss(module, params, 4)
    after = heldout_loss(module, [t.detach().float() for t in trained], 4)
    print(f"held-out loss {before:.4f} -> {after:.4f}")


if __name__ == "__main__":
    main()
