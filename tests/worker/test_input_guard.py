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


def test_rebinding_the_torch_functions_it_uses_changes_nothing(monkeypatch):
    """Student code may rebind torch.equal to another torch builtin that always answers
    truthily (torch.result_type), or Tensor.detach: the guard uses what it bound at import."""
    x = torch.randn(SIZES["small"])
    snapshot = InputSnapshot.take([x], {})
    x.mul_(2)
    monkeypatch.setattr(torch, "equal", torch.result_type)
    monkeypatch.setattr(torch.Tensor, "detach", lambda self: torch.zeros(SIZES["small"]))
    assert snapshot.changes([x], {}) == ["argument 1: its values"]


class _Liar(torch.Tensor):
    """A tensor subclass that answers every torch function with `True`."""

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True


def test_a_changed_tensor_swapped_out_of_the_callers_list_is_still_seen():
    """Training the caller's tensors in place, then putting a clone of the old values (or a
    lying subclass) in the caller's list: the snapshotted tensor itself is checked."""
    params = [torch.randn(4), torch.randn(3)]
    old = [p.clone() for p in params]
    snapshot = InputSnapshot.take([params], {})
    params[0].add_(1.0)
    params[0] = old[0]
    params[1] = old[1].as_subclass(_Liar)
    assert snapshot.changes([params], {}) == [
        "argument 1[0]: its values",
        "argument 1[0]: replaced by another object",
        "argument 1[1]: replaced by another object",
    ]


def test_a_tensor_added_to_the_callers_list_is_a_change():
    params = [torch.randn(2)]
    snapshot = InputSnapshot.take([params], {})
    params.append(torch.randn(2))
    assert snapshot.changes([params], {}) == ["argument 1[1]: added"]
