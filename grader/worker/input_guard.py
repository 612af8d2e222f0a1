"""The inputs a graded function receives: every kind the contract allows, and whether the
function left each one as it came (values, requires_grad, .grad, and where it stands).

The contract lets an input arrive requiring grad or not, with a `.grad` already set or not
(:class:`InputKind`); :func:`given_as` makes copies of test inputs of one kind, beside the
module under test. :class:`InputSnapshot` remembers every tensor reachable from a call's
arguments (inside the lists, tuples and dicts a request decodes to, and inside the objects a
course builds for a test: an instance's attributes, a function's closure), each named by its
path from the argument that holds it (``params[0]``, ``tasks[1][0]``, ``f.parameters[2]``),
and says what changed in words a student can act on ("x_support now requires grad").

The guard runs beside student code, so it depends on nothing student code can rebind: every
torch operation it uses is bound when this module is imported (in the worker, before any
student code), as a C function or descriptor of torch's tensor base class, and called on the
very tensor objects that were snapshotted. Rebinding `torch.equal` (to another torch builtin
that always answers truthily), `Tensor.detach` or `zlib.crc32` changes nothing here, and
neither does putting another object, a lying tensor subclass say, in the caller's list in
place of a tensor that was changed: that replacement is itself a change of the inputs. After
student code ran, the walk enters only the exact containers it entered before and objects of
the very type it found there, through the attribute getters it bound then: no method of an
object student code made or changed runs here.
"""

from __future__ import annotations

import types
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

LARGE_BYTES = 1 << 20
"""Above this, a tensor's values are remembered as a checksum of their bytes, not a copy.

A copy of the 2,000,000-element inputs is 48 MB of fresh pages in every question's process;
a CRC-32 before and after reads the same bytes twice and writes nothing."""

MAX_DEPTH = 8
"""How deep the walk goes from an argument: a task list holds tuples of tensors (depth 2), a
critic holds a list of weights (depth 2); nothing a test builds nests deeper than this."""

_BASE = torch._C.TensorBase
_DETACH, _CONTIGUOUS, _RESHAPE, _VIEW = _BASE.detach, _BASE.contiguous, _BASE.reshape, _BASE.view
_CLONE, _NUMEL, _ELEMENT_SIZE, _NUMPY = _BASE.clone, _BASE.numel, _BASE.element_size, _BASE.numpy
_SHAPE, _DTYPE = _BASE.__dict__["shape"].__get__, _BASE.__dict__["dtype"].__get__
_REQUIRES_GRAD, _GRAD = _BASE.__dict__["requires_grad"].__get__, _BASE.__dict__["grad"].__get__
_IS_LEAF, _RETAINS_GRAD = _BASE.__dict__["is_leaf"].__get__, _BASE.__dict__["retains_grad"].__get__
_EQUAL, _CRC32, _UINT8, _TENSOR = torch.equal, zlib.crc32, torch.uint8, torch.Tensor
_TUPLE, _TYPE, _ISINSTANCE, _ID, _LEN, _RANGE, _ANY = tuple, type, isinstance, id, len, range, any
_DICT_ITEMS, _DICT_TYPES = dict.items, (dict, OrderedDict)
_CODE = types.FunctionType.__dict__["__code__"].__get__
_CLOSURE = types.FunctionType.__dict__["__closure__"].__get__
_FREEVARS = types.CodeType.__dict__["co_freevars"].__get__
_CELL_CONTENTS = types.CellType.__dict__["cell_contents"].__get__
_TYPE_DICT, _TYPE_MRO = type.__dict__["__dict__"].__get__, type.__dict__["__mro__"].__get__
_NOT_ENTERED = (type(None), bool, int, float, complex, str, bytes, type, types.ModuleType, torch.Generator)


@dataclass(frozen=True)
class InputKind:
    """How an input may arrive: requiring grad or not, with a `.grad` already set or not."""

    requires_grad: bool
    has_grad: bool

    def __str__(self) -> str:
        return KIND_NAMES[(self.requires_grad, self.has_grad)]

    @classmethod
    def named(cls, name: str | InputKind) -> InputKind:
        """The kind a test names by its words (a kind crosses to the worker as a string)."""
        if isinstance(name, InputKind):
            return name
        for parts, words in KIND_NAMES.items():
            if words == name:
                return cls(*parts)
        raise ValueError(f"no input kind is called {name!r}: one of {sorted(KIND_NAMES.values())}")


KIND_NAMES = {
    (False, False): "that do not require grad",
    (True, False): "that require grad",
    (False, True): "that do not require grad but hold a .grad",
    (True, True): "that require grad and hold a .grad",
}
"""Each kind in words that read after "inputs" ("on inputs that require grad")."""

INPUT_KINDS = tuple(InputKind(*parts) for parts in KIND_NAMES)
"""Every kind the contract allows, the plain one first."""


def given_as(value: Any, kind: str | InputKind) -> Any:
    """A copy of `value` whose floating-point tensors (inside lists, tuples and dicts) arrive
    as `kind` says: each a fresh leaf, requiring grad or not, holding a `.grad` or not. The
    `.grad` is a function of the tensor's values (the same on both sides of a comparison). An
    object a test builds (a critic with weights) gives its own copy from a `given_as(kind)`
    method; anything else is handed over as it is. Called by trusted code on test inputs."""
    kind = InputKind.named(kind)
    if isinstance(value, torch.Tensor):
        return _copy_as(value, kind)
    if type(value) in (list, tuple):
        return type(value)(given_as(item, kind) for item in value)
    if type(value) is dict:
        return {key: given_as(item, kind) for key, item in value.items()}
    own = getattr(value, "given_as", None)
    return own(kind) if callable(own) else value


def _copy_as(t: torch.Tensor, kind: InputKind) -> torch.Tensor:
    copy = t.detach().clone()
    if not (copy.is_floating_point() or copy.is_complex()):
        return copy
    if kind.has_grad:
        copy.grad = 1 + 0.5 * torch.sin(copy)  # nonzero, and not any answer's
    return copy.requires_grad_(kind.requires_grad)


_ARGS = BaseException.__dict__["args"]


@contextmanager
def on_inputs(kind: InputKind) -> Iterator[None]:
    """An error student code raises inside says on which inputs it was raised: "(on inputs
    that require grad)" ends its message (through BaseException's own `args`, so no method of
    the error's class runs)."""
    try:
        yield
    except Exception as error:
        args = _ARGS.__get__(error)
        if _TUPLE(args) and _TYPE(args[0]) is str:
            _ARGS.__set__(error, (f"{args[0]} (on inputs {kind})", *args[1:]))
        elif not args:
            _ARGS.__set__(error, (f"on inputs {kind}",))
        raise


def parameter_names(function: Callable[..., Any]) -> tuple[str, ...]:
    """The names of a function's parameters, in order (read from trusted code, such as the
    instructor's stub, to name what a call changed)."""
    code = function.__code__
    return tuple(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])


def guarded_call(
    function: Callable[..., Any],
    args: Sequence[Any],
    kwargs: dict[str, Any] | None = None,
    *,
    names: Sequence[str] = (),
) -> tuple[Any, list[str]]:
    """Call `function` and say what it changed of what it was given (:meth:`InputSnapshot.changes`),
    each positional argument named by `names`."""
    args, kwargs = list(args), dict(kwargs or {})
    snapshot = InputSnapshot.take(args, kwargs, names=names)
    value = function(*args, **kwargs)
    return value, snapshot.changes(args, kwargs)


@dataclass(frozen=True)
class _Checksum:
    """The shape, dtype and CRC-32 of a tensor's bytes: equal unless the values changed
    (a change that keeps the CRC-32 happens by chance once in 4 billion)."""

    shape: tuple[int, ...]
    dtype: torch.dtype
    crc: int

    @classmethod
    def of(cls, t: torch.Tensor) -> _Checksum:
        return cls(_TUPLE(_SHAPE(t)), _DTYPE(t), _CRC32(_NUMPY(_bytes(t))))  # type: ignore[arg-type]


def _bytes(t: torch.Tensor) -> torch.Tensor:
    """The tensor's values as bytes: compared bit for bit, a NaN left alone stays equal."""
    return _VIEW(_RESHAPE(_CONTIGUOUS(_DETACH(t)), (-1,)), _UINT8)


def _is_tensor(value: Any) -> bool:
    return _ISINSTANCE(value, _TENSOR)


def _grad_of(t: torch.Tensor) -> torch.Tensor | None:
    """A tensor's .grad; a non-leaf that keeps none has none (reading it would only warn)."""
    if not _IS_LEAF(t) and not _RETAINS_GRAD(t):
        return None
    grad: torch.Tensor | None = _GRAD(t)
    return grad


@dataclass
class _TensorState:
    values: torch.Tensor | _Checksum
    requires_grad: bool
    grad: torch.Tensor | None

    @classmethod
    def of(cls, t: torch.Tensor) -> _TensorState:
        grad = _grad_of(t)
        grad = None if grad is None else _CLONE(_DETACH(grad))
        large = _NUMEL(t) * _ELEMENT_SIZE(t) > LARGE_BYTES
        values = _Checksum.of(t) if large else _CLONE(_DETACH(t))
        return cls(values, _REQUIRES_GRAD(t), grad)

    def differences(self, label: str, t: torch.Tensor) -> list[str]:
        """What changed of `t`, each said of `label`."""
        found = []
        if not self._same_values(t):
            found.append(f"{label}'s values changed")
        if _REQUIRES_GRAD(t) != self.requires_grad:
            found.append(
                f"{label} now requires grad" if not self.requires_grad else f"{label} no longer requires grad"
            )
        grad = _grad_of(t)
        if self.grad is None and grad is not None:
            found.append(f"{label} now holds a .grad (it came without one)")
        elif self.grad is not None and grad is None:
            found.append(f"{label} lost the .grad it came with")
        elif not _same_grad(self.grad, grad):
            found.append(f"{label}.grad changed")
        return found

    def _same_values(self, t: torch.Tensor) -> bool:
        if _ISINSTANCE(self.values, _Checksum):
            return _Checksum.of(t) == self.values
        return (
            _TUPLE(_SHAPE(t)) == _TUPLE(_SHAPE(self.values))
            and _DTYPE(t) == _DTYPE(self.values)
            and _EQUAL(_bytes(t), _bytes(self.values))  # type: ignore[arg-type]  # a tensor here
        )


def _same_grad(before: torch.Tensor | None, after: torch.Tensor | None) -> bool:
    if before is None or after is None:
        return before is None and after is None
    return (
        _is_tensor(after)
        and _TUPLE(_SHAPE(before)) == _TUPLE(_SHAPE(after))
        and _DTYPE(before) == _DTYPE(after)
        and _EQUAL(before, _DETACH(after))
    )


def _instance_dict_getter(kind: type) -> Callable[[Any], Any] | None:
    """The getter of an instance's own attributes for objects of `kind`, if they have them."""
    for owner in _TYPE_MRO(kind):
        descriptor = _TYPE_DICT(owner).get("__dict__")
        if _TYPE(descriptor) is types.GetSetDescriptorType:  # C: never code of a class's own
            getter: Callable[[Any], Any] = descriptor.__get__
            return getter
    return None


class _Walk:
    """Every tensor reachable from some arguments, by path; `objects` holds, for each object
    entered, its exact type and attribute getter (taken before student code ran, and the
    only ones used after it)."""

    def __init__(self, objects: dict[str, tuple[type, Callable[[Any], Any]]] | None = None) -> None:
        self.learning = objects is None
        self.objects: dict[str, tuple[type, Callable[[Any], Any]]] = {} if objects is None else objects
        self.tensors: dict[str, Any] = {}
        self._seen: set[int] = set()

    def arguments(self, args: list[Any], kwargs: dict[str, Any], names: Sequence[str]) -> _Walk:
        for index, value in enumerate(args):
            self.value(value, names[index] if index < _LEN(names) else f"argument {index + 1}", 0)
        for key, value in _DICT_ITEMS(kwargs):
            self.value(value, _name(key), 0)
        return self

    def value(self, value: Any, path: str, depth: int) -> None:
        if _is_tensor(value):
            self.tensors[path] = value
            return
        kind = _TYPE(value)
        if depth >= MAX_DEPTH or _one_of(kind, _NOT_ENTERED) or _ID(value) in self._seen:
            return
        self._seen.add(_ID(value))
        if kind is list or kind is tuple:
            for index in _RANGE(_LEN(value)):
                self.value(value[index], f"{path}[{index}]", depth + 1)
        elif _one_of(kind, _DICT_TYPES):
            for key, item in _DICT_ITEMS(value):
                self.value(item, f"{path}[{_name(key)!r}]" if _TYPE(key) is str else f"{path}[?]", depth + 1)
        elif kind is types.FunctionType:
            self._closure(value, path, depth)
        else:
            self._object(value, kind, path, depth)

    def _closure(self, function: Any, path: str, depth: int) -> None:
        cells = _CLOSURE(function) or ()
        for name, cell in zip(_FREEVARS(_CODE(function)), cells, strict=False):
            try:
                contents = _CELL_CONTENTS(cell)
            except ValueError:  # an empty cell
                continue
            self.value(contents, f"{path}.{_name(name)}", depth + 1)

    def _object(self, value: Any, kind: type, path: str, depth: int) -> None:
        if self.learning:
            getter = _instance_dict_getter(kind)
            if getter is None:
                return
            self.objects[path] = (kind, getter)
        known = self.objects.get(path)
        if known is None or known[0] is not kind:
            return  # not entered before student code ran, or no longer what it was
        attributes = known[1](value)
        if _one_of(_TYPE(attributes), _DICT_TYPES):
            for key, item in _DICT_ITEMS(attributes):
                if _TYPE(key) is str:
                    self.value(item, f"{path}.{key}", depth + 1)


def _one_of(kind: type, kinds: tuple[type, ...]) -> bool:
    """Whether `kind` is one of `kinds`, by identity: `in` would call a metaclass's __eq__."""
    return _ANY(candidate is kind for candidate in kinds)


def _name(key: Any) -> str:
    return key if _TYPE(key) is str else "?"


class InputSnapshot:
    """The state of every tensor reachable from a call's arguments, to compare with after it."""

    def __init__(
        self,
        states: dict[str, tuple[torch.Tensor, _TensorState]],
        objects: dict[str, tuple[type, Callable[[Any], Any]]] | None = None,
        names: Sequence[str] = (),
    ) -> None:
        self._states = states
        self._objects = {} if objects is None else objects
        self._names = _TUPLE(names)

    @classmethod
    def take(cls, args: list[Any], kwargs: dict[str, Any], *, names: Sequence[str] = ()) -> InputSnapshot:
        """Remember every tensor reachable from the arguments; `names` name the positional
        ones (else "argument 1", ...)."""
        walk = _Walk().arguments(args, kwargs, names)
        states = {path: (t, _TensorState.of(t)) for path, t in walk.tensors.items()}
        return cls(states, walk.objects, names)

    def changes(self, args: list[Any], kwargs: dict[str, Any]) -> list[str]:
        """What changed, in words: each snapshotted tensor (the same object, wherever it is
        now), and any place in the arguments where another object now stands."""
        found = []
        now = _Walk(self._objects).arguments(args, kwargs, self._names).tensors
        for path, (t, state) in self._states.items():
            found += state.differences(path, t)
            if path not in now:
                found.append(f"{path} was removed")
            elif now[path] is not t:
                found.append(f"{path} was replaced by another object")
        found += [f"{path} was added" for path in now if path not in self._states]
        return found
