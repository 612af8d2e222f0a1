"""Known-wrong variants of the `maml` reference (instructors only).

Each reproduces one classic mistake exactly, so that a student answer equal to a variant's
can be named. Each takes the reference module first (`ref`), then the arguments of what it
imitates: here, what the probe `meta_train_outcome` sees.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import torch
from torch import Tensor


def meta_train_outcome_accumulating(
    ref: ModuleType, params: list[Tensor], meta_steps: int, generator: torch.Generator, inputs: str = ""
) -> dict[str, Any]:
    """meta_gradients_accumulate: the reference's training without optimizer.zero_grad(), so
    each backward adds onto the meta-gradients before it and Adam follows their running sum."""
    weights = [p.detach().clone().requires_grad_(True) for p in params]
    optimizer = torch.optim.Adam(weights, lr=0.001)
    for _ in range(meta_steps):
        tasks = ref.sample_tasks(4, 10, 10, generator)
        ref.meta_loss(weights, tasks, 0.01, 1).backward()
        optimizer.step()
    return {"trained": tuple(w.detach() for w in weights), "changed": []}
