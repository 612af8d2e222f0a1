"""The global generators (Python's `random`, numpy's and torch's), seeded per test.

A course whose solution draws with ``torch.randn`` or ``np.random`` and no generator of its
own gets reproducible draws only if every side starts each test from the same state: the
student's question process seeds them from the test's seed on the test's first call, and the
trusted side runs the reference on a stream of its own seeded alike (:class:`DrawStream`), so
the reference draws what a correct submission draws, whatever the test itself drew meanwhile.
The test's own draws start from a seed of their own (grader.plugin): student code reads its
seed back and could replay them.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Callable, Iterator
from typing import Any

NUMPY_SEEDS = 2**32
"""numpy's legacy seed must fit in 32 bits: a test's seed is taken modulo this."""

State = tuple[Any, Any, Any]
"""Python's, numpy's (None without numpy) and torch's generator states."""


def seeder() -> Callable[[int], None]:
    """A function that seeds every global generator, its seeding functions bound now: in the
    worker, before the student's import, so that replacing one later changes nothing here."""
    seed_python, seed_torch = random.seed, _torch_seeder()
    numpy_random = _numpy_random()
    seed_numpy = numpy_random.seed if numpy_random is not None else None

    def seed_all(seed: int) -> None:
        seed_python(seed)
        if seed_numpy is not None:
            seed_numpy(seed % NUMPY_SEEDS)
        seed_torch(seed)

    return seed_all


def _torch_seeder() -> Callable[[int], Any]:
    """How torch's global generators are seeded. `torch.manual_seed` seeds every device's, and
    for each device type built in but not started it keeps the caller's formatted stack (about
    0.8 ms a call, and the source files read the first time in each process). A build with no
    device but the CPU (a grading machine's) has one generator to seed."""
    import torch

    built = torch._C
    devices = (
        getattr(built, "_has_cuda", True),
        getattr(built, "_has_xpu", True),
        getattr(built, "_has_mps", True),
        getattr(built, "_mtia_isBuilt", lambda: True)(),
        getattr(built, "_get_privateuse1_backend_name", lambda: "")() != "privateuseone",
    )
    return torch.manual_seed if any(devices) else torch.default_generator.manual_seed


def seed_globals(seed: int) -> None:
    """Seed Python's, numpy's (where numpy is importable) and torch's global generators."""
    seeder()(seed)


def capture() -> State:
    """The global generators' states, to put back with :func:`restore`."""
    import torch

    numpy_random = _numpy_random()
    return (
        random.getstate(),
        numpy_random.get_state() if numpy_random is not None else None,
        torch.get_rng_state(),
    )


def restore(state: State) -> None:
    import torch

    python, numpy_state, torch_state = state
    random.setstate(python)
    numpy_random = _numpy_random()
    if numpy_random is not None and numpy_state is not None:
        numpy_random.set_state(numpy_state)
    torch.set_rng_state(torch_state)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run with every global generator seeded from `seed`, and put back the states found
    (in a notebook's `check`, the trusted side is the student's own kernel)."""
    before = capture()
    seed_globals(seed)
    try:
        yield
    finally:
        restore(before)


class DrawStream:
    """One side's own global draws within a test: each :meth:`active` block continues from
    where the last one ended (the first starts from the seed), and the caller's states are
    put back after it."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._state: State | None = None
        self._before: State | None = None
        self._seeded_digest: str | None = None

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        outer = capture()
        if self._state is None:
            seed_globals(self.seed)
        else:
            restore(self._state)
        self._before = self._state
        try:
            yield
        finally:
            self._state = capture()
            restore(outer)

    def key(self) -> str:
        """Where the next block starts, as words for a cache key: blocks that drew nothing
        leave it as it was."""
        return f"{self.seed}:{self._digest(self._state)}"

    def drew(self) -> bool:
        """Whether the last block drew from a global generator: its answer depends on where
        the stream was, and a cached answer would leave the stream where it was."""
        return self._state is not None and self._digest(self._state) != self._digest(self._before)

    def _digest(self, state: State | None) -> str:
        if state is not None:
            return _digest(state)
        if self._seeded_digest is None:
            self._seeded_digest = _digest(_seeded_state(self.seed))
        return self._seeded_digest


def _seeded_state(seed: int) -> State:
    with seeded(seed):
        return capture()


def _digest(state: State) -> str:
    python, numpy_state, torch_state = state
    digest = hashlib.sha256(repr(python).encode())
    if numpy_state is not None:
        digest.update(
            repr(numpy_state[0]).encode() + numpy_state[1].tobytes() + repr(numpy_state[2:]).encode()
        )
    digest.update(torch_state.numpy().tobytes())
    return digest.hexdigest()


def _numpy_random() -> Any:
    try:
        import numpy.random
    except ImportError:
        return None
    return numpy.random
