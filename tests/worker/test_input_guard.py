"""The input guard notices a changed input, small (kept as a copy) or large (as a checksum)."""

import pytest
import torch

from grader.worker.input_guard import (
    INPUT_KINDS,
    LARGE_BYTES,
    InputKind,
    InputSnapshot,
    given_as,
    guarded_call,
    parameter_names,
)

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
    assert snapshot.changes([x, (v,)], {}) == ["argument 2[0]'s values changed"]


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
    assert snapshot.changes([x], {}) == [
        "argument 1 now requires grad",
        "argument 1 now holds a .grad (it came without one)",
    ]


def test_rebinding_the_torch_functions_it_uses_changes_nothing(monkeypatch):
    """Student code may rebind torch.equal to another torch builtin that always answers
    truthily (torch.result_type), or Tensor.detach: the guard uses what it bound at import."""
    x = torch.randn(SIZES["small"])
    snapshot = InputSnapshot.take([x], {})
    x.mul_(2)
    monkeypatch.setattr(torch, "equal", torch.result_type)
    monkeypatch.setattr(torch.Tensor, "detach", lambda self: torch.zeros(SIZES["small"]))
    assert snapshot.changes([x], {}) == ["argument 1's values changed"]


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
        "argument 1[0]'s values changed",
        "argument 1[0] was replaced by another object",
        "argument 1[1] was replaced by another object",
    ]


def test_a_tensor_added_to_the_callers_list_is_a_change():
    params = [torch.randn(2)]
    snapshot = InputSnapshot.take([params], {})
    params.append(torch.randn(2))
    assert snapshot.changes([params], {}) == ["argument 1[1] was added"]


def test_changes_are_named_after_the_parameters():
    """A student reads "x_support now requires grad", not a position."""
    params, x_support = [torch.randn(3, requires_grad=True)], torch.randn(4, 1)
    snapshot = InputSnapshot.take([params, x_support], {}, names=("params", "x_support"))
    x_support.requires_grad_(True)
    params[0].grad = torch.ones(3)
    assert snapshot.changes([params, x_support], {}) == [
        "params[0] now holds a .grad (it came without one)",
        "x_support now requires grad",
    ]


def test_every_tensor_of_a_task_is_watched():
    tasks = [tuple(torch.randn(2, 1) for _ in range(4)) for _ in range(2)]
    snapshot = InputSnapshot.take([tasks], {}, names=("tasks",))
    tasks[1][2].mul_(2)
    tasks.pop(0)
    assert snapshot.changes([tasks], {}) == [
        "tasks[0][0] was replaced by another object",
        "tasks[0][1] was replaced by another object",
        "tasks[0][2] was replaced by another object",
        "tasks[0][3] was replaced by another object",
        "tasks[1][0] was removed",
        "tasks[1][1] was removed",
        "tasks[1][2]'s values changed",
        "tasks[1][2] was removed",
        "tasks[1][3] was removed",
    ]


def test_a_grad_wiped_or_changed_is_noticed():
    """A .grad the caller's tensor came with belongs to the caller: clearing it, or adding to
    it, changes the input."""
    a, b = torch.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)
    a.grad, b.grad = torch.ones(3), torch.ones(3)
    snapshot = InputSnapshot.take([[a, b]], {}, names=("params",))
    a.grad = None
    b.grad.add_(1.0)
    assert snapshot.changes([[a, b]], {}) == [
        "params[0] lost the .grad it came with",
        "params[1].grad changed",
    ]


class _Critic:
    def __init__(self, scale):
        self.parameters = [torch.randn(2, requires_grad=True), torch.randn(2, requires_grad=True)]
        self.scale = scale

    def __call__(self, x):
        return (self.parameters[0] * x).sum() * self.scale


def test_tensors_reachable_from_a_function_argument_are_watched():
    """A function a test builds holds tensors of its own (a critic's weights, the numbers a
    closure keeps): they are inputs too."""
    critic, a = _Critic(torch.tensor(2.0)), torch.randn(3)

    def quartic(x):
        return (a * x**4).sum()

    snapshot = InputSnapshot.take([critic, quartic], {}, names=("f", "g"))
    critic(torch.randn(2)).backward()
    a.add_(1.0)
    assert snapshot.changes([critic, quartic], {}) == [
        "f.parameters[0] now holds a .grad (it came without one)",
        "g.a's values changed",
    ]


def test_an_object_whose_class_was_swapped_is_not_entered():
    """After student code ran, an object is entered only as the very type it had before: a
    class whose attribute getter is the student's own never runs inside the guard."""
    critic = _Critic(torch.tensor(1.0))
    snapshot = InputSnapshot.take([critic], {}, names=("f",))

    class Lying(_Critic):
        @property
        def __dict__(self):
            raise AssertionError("the student's getter ran inside the guard")

    critic.__class__ = Lying
    assert snapshot.changes([critic], {}) == [
        "f.parameters[0] was removed",
        "f.parameters[1] was removed",
        "f.scale was removed",
    ]


def test_a_non_leaf_input_is_compared_without_warnings(recwarn):
    leaf = torch.randn(3, requires_grad=True)
    loss = (leaf**2).sum()
    snapshot = InputSnapshot.take([loss], {}, names=("loss",))
    loss.backward()
    assert snapshot.changes([loss], {}) == []
    assert not [w for w in recwarn if "not a leaf" in str(w.message)]


@pytest.mark.parametrize("kind", INPUT_KINDS, ids=str)
def test_given_as_makes_fresh_copies_of_each_kind(kind):
    params = [torch.randn(2, 2), torch.randn(2, dtype=torch.float64)]
    copies = given_as((params, 3, torch.arange(3)), str(kind))
    tensors, number, integers = copies
    assert number == 3 and integers.grad is None and not integers.requires_grad
    for original, copy in zip(params, tensors, strict=True):
        assert copy is not original and copy.is_leaf and torch.equal(copy.detach(), original)
        assert copy.requires_grad == kind.requires_grad and copy.dtype == original.dtype
        assert (copy.grad is not None) == kind.has_grad
        if kind.has_grad:
            assert copy.grad.dtype == original.dtype and bool((copy.grad != 0).all())
    assert all(p.grad is None and not p.requires_grad for p in params)


def test_the_kinds_are_every_combination_named_in_words():
    assert {(k.requires_grad, k.has_grad) for k in INPUT_KINDS} == {
        (False, False),
        (True, False),
        (False, True),
        (True, True),
    }
    assert [InputKind.named(str(k)) for k in INPUT_KINDS] == list(INPUT_KINDS)
    with pytest.raises(ValueError, match="no input kind"):
        InputKind.named("requiring nothing")


def test_guarded_call_returns_the_value_and_what_changed():
    def marks_its_input(x_support, lr):
        x_support.requires_grad_(True)
        return lr * 2

    def stale(x):
        return x.clone()

    assert guarded_call(marks_its_input, [torch.randn(2), 0.5], names=("x_support", "lr")) == (
        1.0,
        ["x_support now requires grad"],
    )
    assert parameter_names(marks_its_input) == ("x_support", "lr")
    value, changed = guarded_call(stale, [torch.ones(2)], names=parameter_names(stale))
    assert torch.equal(value, torch.ones(2)) and changed == []
