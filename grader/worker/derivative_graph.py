"""Whether a value's gradient reaches some leaves through a derivative of trusted operations.

A question that teaches a graph (a gradient taken with create_graph=True and differentiated
again) cannot be judged on numbers alone: ``value.detach() + (p * g).sum() - (p * g).sum().detach()``
gives the parameters ``p`` any gradient ``g``, however ``g`` was had (finite differences,
say). What such a construction cannot fake is where its gradient flows. When autograd
differentiates an operation with create_graph=True, the gradients it computes are new nodes of
the graph (the operation's double-backward nodes); :class:`DerivativeNodes` notes those of the
operations it is shown (a trusted function's own: a critic's layers), and
:meth:`DerivativeNodes.bypassing` finds the leaves a value reaches by a path that passes
through none of them. A penalty built on the critic's input gradient reaches the critic's
weights only through those nodes; a surrogate reaches them directly.

Where the operations differentiated are student code's (a meta-loss's inner step, written in
the submission), :func:`noting_derivatives` has autograd note on every node it makes while
differentiating which node it was differentiating (anomaly mode's record of a node's parent),
and :func:`gradient_around_derivatives` gives the gradient along the paths through none of
those nodes: for a meta-loss built on the inner step, exactly the first-order meta-gradient,
whatever the style (a loop, torch.func.grad, backward then .grad); for a surrogate, all of it.

A node counts only if the differentiated operation made it: a gradient handed through
unchanged (an addition's backward, or a tensor a hook slipped in) is not one. Gradients taken
inside ``torch.func`` transforms are read at the level of the value, where the graph is
walked. This runs beside student code, so what it calls is bound when it is imported (in the
worker, before any student code), and a node's edges are read through torch's own C
descriptors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch

_GRAD_FN = torch._C.TensorBase.__dict__["grad_fn"].__get__
_IS_WRAPPED = torch._C._functorch.is_functorch_wrapped_tensor
_UNWRAPPED = torch._C._functorch.get_unwrapped
_TENSOR_BASE = torch._C.TensorBase
_ACCUMULATE_GRAD = torch._C._functions.AccumulateGrad  # type: ignore[attr-defined]
_PYTHON_NEXT = torch._C._FunctionBase.__dict__["next_functions"].__get__
_FLAGS = type.__dict__["__flags__"].__get__
_HEAP_TYPE = 1 << 9
_ID, _TYPE, _ISINSTANCE, _LEN = id, type, isinstance, len
_IS_LEGACY_BATCHED = torch._C._functorch.is_legacy_batchedtensor
_GRAD_ENABLED = torch.is_grad_enabled
_ANOMALY_ENABLED, _ANOMALY_CHECKS_NAN = torch.is_anomaly_enabled, torch.is_anomaly_check_nan_enabled
_SET_ANOMALY = torch.set_anomaly_enabled
_PYTHON_METADATA = torch._C._FunctionBase.__dict__["metadata"].__get__
_ZEROS_LIKE, _AUTOGRAD_GRAD = torch.zeros_like, torch.autograd.grad
_MAX_UNWRAP = 16
"""torch.func nests one wrapper per transform level; no test nests deeper."""


def _nodes_of(value: Any) -> list[Any]:
    """The grad_fn of `value` at every level it is wrapped in: a torch.func transform records
    a gradient's graph on the unwrapped tensor, torch.autograd.functional's vectorized
    Jacobian on the batched wrapper itself."""
    found: list[Any] = []
    if not _ISINSTANCE(value, _TENSOR_BASE):
        return found
    for _ in range(_MAX_UNWRAP):
        node = _GRAD_FN(value)
        if node is not None:
            found.append(node)
        if not _IS_WRAPPED(value):
            break
        value = _UNWRAPPED(value)
    return found


def _metadata(node: Any) -> Any:
    if _FLAGS(_TYPE(node)) & _HEAP_TYPE:
        return _PYTHON_METADATA(node)
    return node.metadata


def _edges(node: Any) -> Any:
    """A node's next functions. torch's own node types are immutable C types; the node of a
    custom autograd.Function is an instance of a Python class, whose attributes student code
    could redefine: its edges are read through the C base class's descriptor."""
    if _FLAGS(_TYPE(node)) & _HEAP_TYPE:
        return _PYTHON_NEXT(node)
    return node.next_functions


class DerivativeNodes:
    """The double-backward nodes of the operations shown to :meth:`watch`: the nodes autograd
    made while differentiating them with a graph (create_graph=True)."""

    def __init__(self) -> None:
        self._nodes: dict[int, Any] = {}  # held, so that no id is reused while it is here
        self.differentiated = 0
        """How many times a watched operation was differentiated, with a graph or without."""
        self.unreadable = False
        """Whether one was differentiated with a graph that cannot be read here: gradients
        batched by torch.autograd.functional's vectorize=True carry it on tensors out of
        reach. Then nothing is judged (:meth:`bypassing` finds no path)."""

    def __len__(self) -> int:
        return _LEN(self._nodes)

    def watch(self, *tensors: torch.Tensor) -> None:
        """Note the derivative of each tensor's own operation (its grad_fn) whenever autograd
        differentiates it. Call it on every intermediate result of a trusted function: the
        derivative of an operation left out is a path around the others'."""
        for tensor in tensors:
            for node in _nodes_of(tensor):
                node.register_hook(self._note)

    def _note(self, grad_inputs: Sequence[Any], grad_outputs: Sequence[Any]) -> None:
        self.differentiated += 1
        if _GRAD_ENABLED() and any(
            _ISINSTANCE(g, _TENSOR_BASE) and _IS_LEGACY_BATCHED(g) for g in grad_inputs
        ):
            self.unreadable = True
        # held while compared: an id is only unique while its object lives
        handed_in = {_ID(node): node for grad in grad_outputs for node in _nodes_of(grad)}
        for grad in grad_inputs:
            for node in _nodes_of(grad):
                if _ID(node) not in handed_in:
                    self._nodes[_ID(node)] = node

    def bypassing(self, value: torch.Tensor, leaves: Sequence[torch.Tensor]) -> list[int]:
        """The indices of `leaves` that `value`'s graph reaches by a path through none of the
        noted nodes: a gradient that gets there without the derivative of the watched
        operations. Walk it before the graph is freed (before value.backward())."""
        if self.unreadable:
            return []
        wanted = {_ID(leaf): index for index, leaf in enumerate(leaves)}
        seen: dict[int, Any] = {}
        stack = _nodes_of(value)
        reached: set[int] = set()
        while stack:
            node = stack.pop()
            if _ID(node) in seen or _ID(node) in self._nodes:
                continue
            seen[_ID(node)] = node
            if _TYPE(node) is _ACCUMULATE_GRAD:
                index = wanted.get(_ID(node.variable))
                if index is not None:
                    reached.add(index)
                continue
            stack.extend(child for child, _ in _edges(node) if child is not None)
        return sorted(reached)


@contextmanager
def noting_derivatives() -> Iterator[None]:
    """While open (around a call into student code), autograd notes on every node it makes
    while differentiating, the node it was differentiating (its anomaly mode does; NaN checks
    stay off): :func:`gradient_around_derivatives` tells those nodes from the rest."""
    enabled, check_nan = _ANOMALY_ENABLED(), _ANOMALY_CHECKS_NAN()
    _SET_ANOMALY(True, False)
    try:
        yield
    finally:
        _SET_ANOMALY(enabled, check_nan)


def _made_by_differentiating(value: torch.Tensor) -> list[Any]:
    """The nodes of `value`'s graph that autograd made while differentiating (with
    create_graph=True) inside :func:`noting_derivatives`: the graphs of gradients."""
    seen: dict[int, Any] = {}
    stack, found = _nodes_of(value), []
    while stack:
        node = stack.pop()
        if _ID(node) in seen:
            continue
        seen[_ID(node)] = node
        if "parent_" in _metadata(node):
            found.append(node)
            continue
        stack.extend(child for child, _ in _edges(node) if child is not None)
    return found


def _zeroed(grads: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(None if g is None else _ZEROS_LIKE(g) for g in grads)


def gradient_around_derivatives(
    value: torch.Tensor, leaves: Sequence[torch.Tensor]
) -> tuple[torch.Tensor, ...] | None:
    """The gradient of `value` with respect to `leaves` along the paths through no node made
    by differentiating (inside :func:`noting_derivatives`): what reaches them other than
    through a gradient's own graph. A meta-loss's is the first-order meta-gradient: the
    second-order term flows through the inner gradients. None if nothing reaches them. The
    graph is kept (retain_graph=True) for the full gradient after it."""
    if _TYPE(value) is not torch.Tensor or not value.requires_grad:
        return None
    handles = [node.register_prehook(_zeroed) for node in _made_by_differentiating(value)]
    try:
        grads = _AUTOGRAD_GRAD(value, list(leaves), retain_graph=True, allow_unused=True)
    finally:
        for handle in handles:
            handle.remove()
    if all(g is None for g in grads):
        return None
    return tuple(_ZEROS_LIKE(p) if g is None else g for p, g in zip(leaves, grads, strict=True))
