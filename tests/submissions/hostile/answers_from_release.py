"""Hostile: no implementation at all. Every call is answered with the value that the release's
expected.json records for the same inputs (found by their digest, as the grader files them),
and a gradient_penalty that even backpropagates the recorded weight gradients. Anything not
recorded (hessian and hvp: their test functions' tensors are out of reach) raises
NotImplementedError."""

import base64
import functools
import hashlib
import json
from pathlib import Path

import torch

EXPECTED_JSON = "@EXPECTED_JSON@"  # a test writes the path of the release's file here


@functools.cache
def _recorded():
    """Every recorded answer by (function or probe, digest of its inputs)."""
    releases = ("assignments/second_order/expected.json",
                ".grader/assignments/second_order/expected.json")
    candidates = [Path(EXPECTED_JSON), *(folder / release for release in releases
                                         for folder in [Path.cwd(), *Path.cwd().parents])]
    for path in candidates:
        try:
            tests = json.loads(path.read_text())["tests"]
        except (OSError, ValueError, KeyError):
            continue
        return {(entry["name"], entry["digest"]): entry for entries in tests.values()
                for entry in entries if entry["kind"] != "variant"}  # variants: known-wrong
    return {}


def _encode(value):
    if isinstance(value, torch.Tensor):
        t = value.detach().contiguous()
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        return {"$tensor": {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape),
                            "data": base64.b64encode(raw).decode("ascii")}}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, dict):
        return {"$dict": {k: _encode(v) for k, v in value.items()}}
    if hasattr(value, "parameters") and not isinstance(value, torch.nn.Module):  # the critic
        return {"$fn": type(value).__name__.lower(), "args": [_encode(p) for p in value.parameters]}
    return value  # a test function's lambda: its tensors are out of reach, so no match


def _decode(data):
    if isinstance(data, list):
        return [_decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    (tag, body), = data.items()
    if tag == "$tuple":
        return tuple(_decode(v) for v in body)
    if tag == "$dict":
        return {k: _decode(v) for k, v in body.items()}
    if tag == "$float":
        return float(body)
    raw = bytearray(base64.b64decode(body["data"]))
    dtype = getattr(torch, body["dtype"])
    flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
    return flat.reshape(body["shape"]).clone()


def _lookup(names, *args):
    message = {"args": _encode(list(args)), "kwargs": {"$dict": {}}}
    digest = hashlib.sha256(json.dumps(message, sort_keys=True).encode()).hexdigest()
    for name in names:
        entry = _recorded().get((name, digest))
        if entry is not None:
            return entry["kind"], _decode(entry["value"])
    raise NotImplementedError("not recorded in the release")


def _answer(name, *args):
    kind, value = _lookup([name], *args)
    # each graded function's probe records one outcome per kind of input, all alike
    return value[0]["value"] if kind == "probe" else value


def first_order_grads(x, y):
    return _answer("first_order_grads", x, y)


def second_partials(x, y, i):
    return _answer("second_partials", x, y, i)


def grads_without_zeroing(x, y, i):
    return _answer("grads_without_zeroing", x, y, i)


def hessian(f, x):
    return _answer("hessian", f, x)


def hvp(f, x, v):
    return _answer("hvp", f, x, v)


def gradient_penalty(f, x):
    kind, value = _lookup(["gradient_penalty", "penalty_and_weight_grads"], f, x)
    if kind != "probe":
        return value
    outcome = value[0]  # one outcome per kind of input, all alike
    if "weight_grads" not in outcome:
        return outcome["value"]
    # The recorded penalty, made to give each weight exactly its recorded gradient.
    penalty = outcome["penalty"].detach().clone()
    for p, g in zip(f.parameters, outcome["weight_grads"]):
        penalty = penalty + ((p - p.detach()) * g).sum()
    return penalty
