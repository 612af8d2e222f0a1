"""The course author's API: the one grader module an assignment's files import.

Tests (``tests/test_public.py``, ``reference/<name>/tests/test_hidden.py``), shared checks
(``checks.py``), probes (``probes.py``) and known-wrong variants import from here and from
nowhere else in the grader. Releases copy tests into student repositories, so this module is
versioned: :data:`API_VERSION` is ``MAJOR.MINOR``, and every name below keeps working for
files written against an earlier minor version of the same major one.

Fixtures (provided by the grader's pytest plugin; ask for them by name):

``student``
    the submission, reached through its worker: ``student.f(*args)`` sends copies of the
    arguments, runs the student's ``f`` and returns a :class:`Reply` (``.value`` as plain
    tensors, ``.call`` describing the call for messages, ``.modified_inputs``,
    ``.forbidden_calls``). ``student.probe(name, *args)`` runs ``PROBES[name]`` from
    probes.py beside the student's module. Student failures (not attempted, raised, timed
    out, crashed) are graded by the plugin; tests need not catch them.
``reference``
    expected values: ``reference.f(*args)`` and ``reference.probe(name, *args)``, live from
    the solution in ``grader grade`` and ``grader record``, recorded (expected.json) for the
    public tests in ``grader check``. Call it with the same arguments as ``student``.
    ``reference.live`` is true in ``grader grade`` only: a comparison that grading needs
    and ``grader check`` cannot replay (slow tests are never recorded) asks it only then.
``seed``
    the seed of a test's inputs (per submission in ``grader grade``); a test that does not
    ask for it runs on fixed, published inputs and earns points only if a test of the same
    question on fresh inputs passed too.
``private_seed``, ``published_seed``, ``heldout_seed``, ``heldout_start_seed``
    data the student's code is never handed; the public draw everyone trains on; held-out
    data the same for every submission; a starting point handed to student code that it
    could not have known before (the same for every submission, keyed on its own).
``given``, ``checks``
    the stub's given helpers, and the assignment's checks.py, loaded from the instructor's
    pristine copies.

Objects: ``model = student.MAML(num_steps=1)`` makes one of the student's objects, which
stays in their process for the test; ``model.train(task)`` is a call (a :class:`Reply`,
guarded and time-limited like a function's), ``model.history`` reads an attribute as plain
data, ``model.reply`` is the Reply of its making, and ``student.f(model)`` hands it back.
``reference.MAML(...)`` is driven the same way. A method's Reply also says what it changed of
its object's tensors (``reply.modified_self``); ``expect_clean_call(reply, keep_self=True)``
fails on it, for a method meant to leave its object as it was.

Markers: ``@pytest.mark.question(name)`` (required), ``weight(w)``, ``timeout(seconds)``,
``slow``, ``tolerance(rtol=..., atol=...)`` (the default of every :func:`expect_close` and
``difference`` in the test; an rtol or atol passed to one still wins, and the dtype's apply
where neither says). A test's name in reports is its docstring's first line, formatted with
its parameters.

Global draws. Before each test, Python's ``random``, ``numpy.random`` (seeded with
``seed % 2**32``) and torch's global generator are seeded from the test's seed (its ``seed``
fixture's value where it asks for one, else its fixed published seed): in the student's
process, and on a stream of the reference's own (live, and as expectations are recorded),
which continues across the test's reference calls whatever the test itself draws meanwhile.
A solution that calls ``torch.randn`` or ``np.random.rand`` without a generator draws what a
correct submission draws; the test's own global draws are reproducible too, from a seed
student code is never given (a held-out set drawn there stays held out).

Plain data: :func:`plain_data` turns what student code returned (tensors, ``nn.Parameter``,
numbers, lists, tuples and dicts of them) into plain detached tensors, and raises TypeError
naming anything else and where ("weights['w'] is a MyTensor, not a tensor"); probes use it
before they compute with a student's output.

Learning tests: :func:`expect_at_most` (``expect_at_most(after / before, 0.5, what="the
held-out ratio")``) fails when a value passes its bound and keeps the value either way:
``grader validate --draws N`` grades the reference on N more draws of the inputs and reports
how close it comes to each bound (its margin), warning under 10%.

Values that travel to the worker: :class:`Fn` (a function built on each side by name from
probes.py's ``FUNCTIONS``) and :class:`Seed` (a ``torch.Generator`` seeded on each side).

Probes (``probes.py``) run beside the student's code: they define ``PROBES`` and
``FUNCTIONS`` dicts. Importing this module in the worker loads only what probes need; the
comparisons below load on first use, on the trusted side.

Inputs of every kind, every input guarded. Every call into student code (``student.f(...)``
and each probe's arguments) is guarded by default: the worker snapshots every tensor
reachable from the arguments (inside lists, tuples, dicts, a task's tuple, an object's
attributes, a function's closure) and ``reply.modified_inputs`` says, in words, what changed
(values, ``requires_grad``, ``.grad``, or another object in the caller's list);
:func:`expect_clean_call` fails on it. A probe that calls the student's functions on inputs
it made itself gets the same with :func:`guarded_call` (each argument named from
:func:`parameter_names` of the stub's function: "x_support now requires grad"). The contract
lets an input arrive requiring grad or not, holding a ``.grad`` or not: :data:`INPUT_KINDS`
lists those :class:`InputKind` s (a test sends one as ``str(kind)``), and :func:`given_as`
makes copies of one kind beside the module, the same on both sides (an object a test builds,
a critic with weights say, gives its own copy from a ``given_as(kind)`` method), and
:func:`on_inputs` makes an error raised on them say on which inputs.

Structure, not only numbers. Where a question teaches a graph (a gradient taken with
``create_graph=True`` and differentiated again), its numbers can be had without it: a value
plus ``(p * g).sum() - (p * g).sum().detach()`` hands parameters ``p`` any gradient ``g``.
:class:`DerivativeNodes` judges the graph instead: a probe shows it a trusted function's own
operations (``watch``, called from that function's forward, a critic's say), it notes the
nodes autograd makes when it differentiates them with a graph, and ``bypassing(value,
leaves)``, walked before ``value.backward()``, lists the leaves that ``value`` reaches by a
path through none of them. Hold it in the probe's local variables only. Where the function
differentiated is the student's own (a meta-loss's inner step), call it inside
:func:`noting_derivatives`: autograd then notes on each node it makes while differentiating
where it came from, and :func:`gradient_around_derivatives` gives the gradient along the paths
through none of those nodes (a meta-loss's first-order part), to compare with the reference's.

A test may report a figure for Gradescope's leaderboard: :func:`leaderboard` (``name``,
``value``, ``order="asc"`` or ``"desc"``). The class sees it, so only a passing public test's
figure is shown (:mod:`grader.leaderboard`).

Misconception codes are the names in the assignment's ``misconceptions.toml``; pass one to
:func:`expect` or pair it with a variant's value in :func:`expect_close`. A code missing from
the catalogue fails the test as a configuration error, never silently. :data:`TAMPERING` is
the grader's own code, and so are the codes :func:`expect_clean_call` gives for a changed input
and a forbidden helper: every catalogue knows them, and may explain them in its own words.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from grader.wire.protocol import Fn, Seed
from grader.worker.derivative_graph import DerivativeNodes, gradient_around_derivatives, noting_derivatives
from grader.worker.input_guard import (
    INPUT_KINDS,
    InputKind,
    InputSnapshot,
    given_as,
    guarded_call,
    on_inputs,
    parameter_names,
)
from grader.worker.plain_data import plain_data

if TYPE_CHECKING:
    from grader.feedback import (
        expect_close,  # noqa: F401
    )
    from grader.problems import Mismatch  # noqa: F401
    from grader.student import Reply  # noqa: F401

API_VERSION = "1.5"
"""MAJOR.MINOR of this API; a release records the version its tests were written for.

1.5 adds per-test seeding of the global generators (``random``, ``numpy.random``,
``torch``), :func:`plain_data`, the ``tolerance(rtol=..., atol=...)`` marker and
:func:`expect_at_most` (whose margin ``grader validate`` reports), :func:`leaderboard` and a
method's ``reply.modified_self``. A course written for 1.4 changes nothing.

1.3 adds objects as questions (``student.Cls(...)`` gives a handle whose methods are calls
and whose attributes are reads; a question may name ``"Cls.method"``), given files
(``given = [...]`` in assignment.toml) and variants that are methods or classes. A course
written for 1.2 changes nothing."""

TAMPERING = "tampering"
"""The grader's own code for a submission that reached into the code beside it."""

_LAZY = {
    "expect": "grader.feedback",
    "expect_close": "grader.feedback",
    "expect_tensor": "grader.feedback",
    "leaderboard": "grader.feedback",
    "expect_at_most": "grader.feedback",
    "expect_clean_call": "grader.feedback",
    "difference": "grader.feedback",
    "recognise": "grader.feedback",
    "describe_call": "grader.call_description",
    "Mismatch": "grader.problems",
    "Reply": "grader.student",
}
"""Trusted-side names, imported on first use so that probes never load them in the worker."""

__all__ = [
    "API_VERSION",
    "TAMPERING",
    "Fn",
    "Seed",
    "DerivativeNodes",
    "noting_derivatives",
    "gradient_around_derivatives",
    "InputSnapshot",
    "InputKind",
    "INPUT_KINDS",
    "given_as",
    "guarded_call",
    "on_inputs",
    "parameter_names",
    "plain_data",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
