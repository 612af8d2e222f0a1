"""The `reference` fixture: expected values, live from the solution or recorded ahead of time.

Live (``grader grade``): the reference module runs in the trusted process on inputs decoded
from exactly the message the student receives, so both sides start from identical, pristine
copies. Recorded (``grader check``): a student's machine has no reference, so each public
test's expected values come from ``expected.json``, written by ``grader record``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

from grader.remote_object import RemoteObject
from grader.wire import protocol
from grader.wire.module_files import import_file
from grader.worker.global_draws import DrawStream

EXPECTATIONS_VERSION = 1


class StaleExpectations(Exception):
    """The recorded expectations do not match the public tests any more."""


def import_private(name: str, path: Path) -> ModuleType:
    """Import a file under a private module name (the reference is never on sys.path)."""
    return import_file(name, path)


def import_beside_given(
    name: str, path: Path, assignment: Any, also: dict[str, ModuleType] | None = None
) -> ModuleType:
    """Import a course file that imports the assignment's given modules by their own names
    (`import utils`), or `also` modules (variants.py's `from homework import Model`, the
    reference): each is importable so for the import only, from the course's copy, and the
    trusted process keeps no module under such a global name."""
    given = {
        PurePosixPath(file).stem: assignment.folder / file
        for file in assignment.given
        if file.endswith(".py") and "/" not in file
    }
    saved = {module: sys.modules.get(module) for module in [*given, *(also or {})]}
    try:
        for module, file in given.items():
            sys.modules[module] = import_private(f"grader_given_{assignment.name}_{module}", file)
        sys.modules.update(also or {})
        return import_private(name, path)
    finally:
        for module, before in saved.items():
            if before is None:
                sys.modules.pop(module, None)
            else:
                sys.modules[module] = before


def load_live_reference(assignment: Any, folder: Path) -> LiveReference:
    """The reference solution in `folder`, with the assignment's probes and, if present, the
    known-wrong variants beside it (variants.py), each imported privately."""
    name = assignment.name
    module = import_beside_given(f"grader_reference_{name}", folder / assignment.file_name, assignment)
    probes = import_private(f"grader_probes_{name}", assignment.probes_path)
    variants_path = folder / "variants.py"
    variants = (
        import_beside_given(
            f"grader_variants_{name}", variants_path, assignment, {assignment.module_name: module}
        )
        if variants_path.is_file()
        else None
    )
    return LiveReference(module, probes, variants)


def message_for(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The arguments as plain JSON (tensors inline): what expected.json's digests are of. An
    object is its class alone: its handle differs from run to run."""
    return {
        "args": protocol.encode_value(_anonymous(list(args))),
        "kwargs": protocol.encode_value(_anonymous(dict(kwargs))),
    }


def _anonymous(value: Any) -> Any:
    if isinstance(value, protocol.ObjectRef):
        return protocol.ObjectRef(0, value._type_name)
    if isinstance(value, (list, tuple)):
        return type(value)(_anonymous(item) for item in value)
    if isinstance(value, dict):
        return {key: _anonymous(item) for key, item in value.items()}
    return value


def digest(message: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()


KnownMistake = tuple[str, str, tuple[Any, ...]]
"""A misconception code, the reference variant that makes that mistake, and its arguments."""


class _AttributeCalls:
    """`reference.f(g, x)` reads as `reference.call("f", g, x)`."""

    def __getattr__(self, function: str) -> Any:
        if function.startswith("_"):
            raise AttributeError(function)
        return lambda *args, **kwargs: self.call(function, *args, **kwargs)

    def mistakes(self, known: Iterable[KnownMistake]) -> Iterable[tuple[str, Any]]:
        """(code, what the variant gives) for each known mistake, for `expect_close`.

        Computed at once: recorded answers are written and replayed in the order asked.
        """
        return [(code, self.variant(name, *args)) for code, name, args in known]


SLOW_ANSWER_SECONDS = 0.5
SLOW_ANSWERS_KEPT = 8


def _is_course_object(value: Any) -> bool:
    """An instance of a class of the course's files (imported as grader_reference_..., and
    the like): it stays in this process and a test drives it."""
    module = getattr(type(value), "__module__", "") or ""
    return module.startswith("grader_") and not isinstance(value, type)


def _objects_in(value: Any, depth: int = 0) -> dict[int, Any]:
    """The course objects among a call's arguments, by handle, to hand over as themselves."""
    if isinstance(value, RemoteObject):
        return {value._handle: value._object}
    found: dict[int, Any] = {}
    if depth < protocol.MAX_DEPTH and isinstance(value, (list, tuple, dict)):
        for item in value.values() if isinstance(value, dict) else value:
            found.update(_objects_in(item, depth + 1))
    return found


def _call_key(target: Any, request: Any, blobs: list[protocol.Blob], draws: str = "") -> str:
    """A digest of what is called, exactly what it is handed (the encoded arguments and
    every tensor's bytes) and where its global draws start: the reference is deterministic,
    so equal keys give equal answers."""
    name = f"{target.__module__}.{getattr(target, '__qualname__', '')}"
    digest = hashlib.sha256(f"{name}/{draws}".encode())
    digest.update(json.dumps(request, sort_keys=True, default=repr).encode())
    for blob in blobs:
        digest.update(len(blob).to_bytes(8, "big"))
        digest.update(blob)
    return digest.hexdigest()


class LiveReference(_AttributeCalls):
    """Runs the reference solution in this (trusted) process."""

    live = True
    """It runs the solution (grader grade): it can answer what no recording holds."""

    def __init__(self, module: ModuleType, probes: ModuleType, variants: ModuleType | None = None) -> None:
        self._module = module
        self._probes = probes
        self._variants = variants
        self.seconds = 0.0  # spent inside reference code: what a benchmark's floor counts
        self._slow_answers: dict[str, tuple[Any, list[bytes]]] = {}
        """Answers that took long, by a digest of the call: the same inputs for every
        submission (a training run from the course's one start) are computed once a batch."""
        self._draws: DrawStream | None = None
        """The reference's own global draws in the test under way (see begin_test)."""

    def begin_test(self, seed: int) -> None:
        """A test starts: the reference's global draws (torch.randn and the like without a
        generator) start from `seed`, as the student's do in their process, and continue
        across the test's calls, whatever the test itself draws between them."""
        self._draws = DrawStream(seed)

    def _drawing(self, draws: DrawStream | None) -> contextlib.AbstractContextManager[None]:
        return draws.active() if draws is not None else contextlib.nullcontext()

    def _run(
        self,
        target: Any,
        leading: tuple[Any, ...],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        cache: bool = True,
        draws: DrawStream | None = None,
    ) -> Any:
        """Call `target` on the inputs exactly as a worker would decode them, and return the
        value exactly as a worker's reply would decode: both sides get the same forms. An
        object of the course's classes stays here, driven through a RemoteObject."""
        build = lambda name, fn_args: self._probes.FUNCTIONS[name](*fn_args)  # noqa: E731
        draws = draws or self._draws
        objects = _objects_in((args, kwargs))
        blobs: list[protocol.Blob] = []
        request = protocol.encode_value([list(args), dict(kwargs)], blobs=blobs)
        key = _call_key(target, request, blobs, draws.key() if draws is not None else "")
        cache = cache and not objects and not hasattr(target, "__self__")  # state: never cached
        reply = self._slow_answers.get(key) if cache else None
        if reply is None:
            sent = protocol.decode_request_value(request, build, blobs, objects=objects.__getitem__)
            started = time.perf_counter()
            with self._drawing(draws):
                value = target(*leading, *sent[0], **sent[1])
            spent = time.perf_counter() - started
            self.seconds += spent
            if _is_course_object(value):
                return self._remote(value)
            reply_blobs: list[protocol.Blob] = []
            reply = (protocol.encode_value(value, blobs=reply_blobs), [bytes(blob) for blob in reply_blobs])
            if spent >= SLOW_ANSWER_SECONDS and cache and not (draws is not None and draws.drew()):
                self._keep(key, reply)
        return protocol.decode_reply_value(reply[0], [bytearray(blob) for blob in reply[1]])

    def _remote(self, value: Any) -> RemoteObject:
        def read(name: str) -> Any:
            attribute = getattr(value, name)
            if callable(attribute) and not isinstance(attribute, type):
                return protocol.MethodRef(name)
            return self._run(lambda: attribute, (), (), {}, cache=False)

        def call(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return self._run(getattr(value, name), (), args, kwargs)

        ref = protocol.ObjectRef(id(value), type(value).__name__)
        return RemoteObject(ref, read, call, _object=value)

    def _keep(self, key: str, reply: tuple[Any, list[bytes]]) -> None:
        if len(self._slow_answers) >= SLOW_ANSWERS_KEPT:
            self._slow_answers.pop(next(iter(self._slow_answers)))
        self._slow_answers[key] = reply

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        return self._run(getattr(self._module, function), (), args, kwargs)

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._run(self._probes.PROBES[name], (self._module,), args, kwargs)

    def variant(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """What a known-wrong variant of the reference gives (reference/<name>/variants.py)."""
        if self._variants is None:
            raise LookupError(f"no variants.py beside the reference for variant {name!r}")
        # Each variant draws from the test's seed afresh: what the student drew, had they
        # made that mistake, not what follows the reference's own draws.
        fresh = DrawStream(self._draws.seed) if self._draws is not None else None
        return self._run(getattr(self._variants, name), (self._module,), args, kwargs, draws=fresh)

    def mistakes(self, known: Iterable[KnownMistake]) -> Iterator[tuple[str, Any]]:
        """Like the recorded references' `mistakes`, but each variant runs only when
        `expect_close` asks for it, that is when an answer is wrong: a correct submission
        costs no variant at all."""
        return ((code, self.variant(name, *args)) for code, name, args in known)

    def encoded(
        self, kind: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], Any]:
        """The message and the encoded expected value, for recording."""
        value = getattr(self, kind)(name, *args, **kwargs)
        return message_for(args, kwargs), protocol.encode_value(value)


class RecordingReference(_AttributeCalls):
    """A live reference that also writes down every answer it gives, per test."""

    live = False
    """What it is asked is what grader check will ask expected.json: a comparison made only
    where the reference is live is neither recorded nor replayed."""

    def __init__(self, live: LiveReference, entries: list[dict[str, Any]]) -> None:
        self._live = live
        self._entries = entries

    def _record(self, kind: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        value = getattr(self._live, kind)(name, *args, **kwargs)
        return self._write(kind, name, args, kwargs, value)

    def _write(self, kind: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any], value: Any) -> Any:
        """Write down one answer; an object's is its class alone, and what it is asked later
        is written down as it is asked."""
        remote = value if isinstance(value, RemoteObject) else None
        if remote is not None:
            value = protocol.ObjectRef(0, remote._type_name)
        encoded = protocol.encode_value(value)
        entry = {"kind": kind, "name": name, "digest": digest(message_for(args, kwargs)), "value": encoded}
        self._entries.append(entry)
        if remote is None:
            return protocol.decode_reply_value(encoded)
        prefix = remote._type_name

        def read(attribute: str) -> Any:
            answer = remote._read(attribute)
            if isinstance(answer, protocol.MethodRef):
                return self._write("get", f"{prefix}.{attribute}", (), {}, answer)
            return self._write("get", f"{prefix}.{attribute}", (), {}, answer)

        def call(method: str, call_args: tuple[Any, ...], call_kwargs: dict[str, Any]) -> Any:
            answer = remote._call(method, call_args, call_kwargs)
            return self._write("method", f"{prefix}.{method}", call_args, call_kwargs, answer)

        return RemoteObject(remote, read, call, _object=remote._object)

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        return self._record("call", function, args, kwargs)

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._record("probe", name, args, kwargs)

    def variant(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._record("variant", name, args, kwargs)


class RecordedReference(_AttributeCalls):
    """Answers from expected.json, checking each question was asked with the same inputs."""

    live = False

    def __init__(self, nodeid: str, entries: list[dict[str, Any]] | None) -> None:
        self._nodeid = nodeid
        self._entries = entries
        self._next = 0

    def _answer(self, kind: str, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._entries is None or self._next >= len(self._entries):
            raise StaleExpectations(f"no recorded expectation for {self._nodeid}")
        entry = self._entries[self._next]
        self._next += 1
        if (entry.get("kind"), entry.get("name")) != (kind, name) or entry.get("digest") != digest(
            message_for(args, kwargs)
        ):
            raise StaleExpectations(f"the recorded expectation for {self._nodeid} was made from other inputs")
        value = protocol.decode_reply_value(entry["value"])
        if not isinstance(value, protocol.ObjectRef):
            return value
        prefix = value._type_name
        return RemoteObject(
            value,
            lambda attribute: self._answer("get", f"{prefix}.{attribute}", (), {}),
            lambda method, a, k: self._answer("method", f"{prefix}.{method}", a, k),
        )

    def call(self, function: str, *args: Any, **kwargs: Any) -> Any:
        return self._answer("call", function, args, kwargs)

    def probe(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._answer("probe", name, args, kwargs)

    def variant(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self._answer("variant", name, args, kwargs)


def load_expectations(path: Path) -> dict[str, list[dict[str, Any]]]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    if data.get("version") != EXPECTATIONS_VERSION:
        return {}
    tests: dict[str, list[dict[str, Any]]] = data.get("tests", {})
    return tests


def dump_expectations(assignment: str, tests: dict[str, list[dict[str, Any]]]) -> str:
    return (
        json.dumps(
            {"version": EXPECTATIONS_VERSION, "assignment": assignment, "tests": dict(sorted(tests.items()))},
            indent=1,
            sort_keys=True,
        )
        + "\n"
    )
