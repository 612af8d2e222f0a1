"""The input guard notices a changed input, small (kept as a copy) or large (as a checksum)."""

import pytest
import torch

from grader.worker.input_guard import LARGE_BYTES, InputSnapshot

SIZES = {"small": 16, "large": LARGE_BYTES // 4 + 1}  # float32: 4 bytes each


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_untouched_inputs_report_nothing(size):
    x, v = torch.randn(size), torch.randn(size, dtype=torch.float64)
    snapshot = InputSnapshot.take([x], {"v": v})
    assert snapshot.changes([x], {"v": v}) == []


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_one_changed_element_is_noticed(size):
    x, v = torch.randn(size), torch.randn(size)
    snapshot = InputSnapshot.take([x, (v,)], {})
    v[size // 2] += 1.0
    assert snapshot.changes([x, (v,)], {}) == ["argument 2[0]: its values"]


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_a_nan_left_in_place_is_not_a_change(size):
    x = torch.randn(size)
    x[0] = float("nan")
    snapshot = InputSnapshot.take([x], {})
    assert snapshot.changes([x], {}) == []


def test_requires_grad_and_grad_changes_are_noticed():
    x = torch.randn(SIZES["large"])
    snapshot = InputSnapshot.take([x], {})
    x.requires_grad_(True)
    x.grad = torch.ones_like(x)
    assert snapshot.changes([x], {}) == ["argument 1: its requires_grad", "argument 1: its .grad"]
