"""The live reference computes a slow answer once for equal inputs (meta_train's training run
from the course's one start is the same for every submission) and never shares its tensors."""

from __future__ import annotations

import time
from types import ModuleType

import torch

from grader import reference
from grader.reference import LiveReference


def counting_reference(seconds: float) -> tuple[LiveReference, list[int]]:
    calls: list[int] = []

    def train(x: torch.Tensor, steps: int) -> torch.Tensor:
        calls.append(steps)
        time.sleep(seconds)
        return x * steps

    module = ModuleType("solution")
    module.train = train  # type: ignore[attr-defined]
    probes = ModuleType("probes")
    probes.FUNCTIONS = {}  # type: ignore[attr-defined]
    probes.PROBES = {}  # type: ignore[attr-defined]
    return LiveReference(module, probes), calls


def test_a_slow_answer_is_computed_once_for_equal_inputs(monkeypatch):
    monkeypatch.setattr(reference, "SLOW_ANSWER_SECONDS", 0.01)
    live, calls = counting_reference(0.02)
    first = live.train(torch.ones(3), 2)
    second = live.train(torch.ones(3), 2)
    assert calls == [2]
    assert torch.equal(first, second) and first.data_ptr() != second.data_ptr()
    second.add_(1)  # a test that changes its answer changes no later one
    assert torch.equal(live.train(torch.ones(3), 2), torch.full((3,), 2.0))


def test_other_inputs_are_computed_again(monkeypatch):
    monkeypatch.setattr(reference, "SLOW_ANSWER_SECONDS", 0.01)
    live, calls = counting_reference(0.02)
    live.train(torch.ones(3), 2)
    live.train(torch.ones(3), 3)
    live.train(torch.tensor([1.0, 1.0, 1.5]), 2)
    assert calls == [2, 3, 2]


def test_fast_answers_are_not_kept():
    live, calls = counting_reference(0.0)
    live.train(torch.ones(3), 2)
    live.train(torch.ones(3), 2)
    assert calls == [2, 2]
