"""Are recorded expectations still what the reference gives? Judged as grading compares.

`grader record --check` re-records and compares with expected.json. Another CPU (or another
BLAS or torch build) computes some values a last bit differently, so a bit-for-bit comparison
would call a file stale on every machine but the instructor's. Here the structure must match
exactly (the same tests, each asking the same things in the same order, of the same inputs by
digest; the same containers, keys, dtypes and shapes, the same non-float values), and values
only within the tolerances grading uses for their dtype (``grader.feedback.TOLERANCES``,
relative to the value's scale as in ``expect_close``).
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import numpy as np

FLOAT_TOLERANCES = {
    "float16": (1e-2, 1e-3),
    "bfloat16": (1e-2, 1e-2),
    "float32": (1e-4, 1e-5),
    "float64": (1e-7, 1e-10),
}
"""rtol, atol per dtype: the defaults of grader.feedback.TOLERANCES (a test keeps them in step)."""

PLAIN_FLOAT = FLOAT_TOLERANCES["float64"]


def stale_differences(recorded_text: str, fresh_text: str, limit: int = 10) -> list[str]:
    """Why `recorded_text` (expected.json as committed) no longer stands for `fresh_text`
    (what the reference records now); empty when it is fresh."""
    try:
        recorded = json.loads(recorded_text)
    except ValueError:
        return ["the recorded file is missing or not JSON"]
    fresh = json.loads(fresh_text)
    problems: list[str] = []
    for key in ("version", "assignment"):
        if recorded.get(key) != fresh.get(key):
            problems.append(f"{key} is {recorded.get(key)!r}, now {fresh.get(key)!r}")
    old_tests, new_tests = recorded.get("tests") or {}, fresh.get("tests") or {}
    for nodeid in sorted(set(old_tests) | set(new_tests)):
        if nodeid not in new_tests:
            problems.append(f"{nodeid}: recorded, but no such public test now")
            continue
        if nodeid not in old_tests:
            problems.append(f"{nodeid}: not recorded")
            continue
        old, new = old_tests[nodeid], new_tests[nodeid]
        if len(old) != len(new):
            problems.append(f"{nodeid}: {len(old)} answers recorded, {len(new)} now")
            continue
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            for key in ("kind", "name", "digest"):
                if a.get(key) != b.get(key):
                    what = "inputs" if key == "digest" else key
                    problems.append(f"{nodeid}[{index}]: other {what} than recorded")
                    break
            else:
                if problem := value_difference(a.get("value"), b.get("value"), "value"):
                    problems.append(f"{nodeid}[{index}]: {problem}")
        if len(problems) >= limit:
            break
    return problems[:limit]


def value_difference(recorded: object, fresh: object, where: str) -> str:
    """'' when two encoded values (grader.wire.protocol's JSON form) agree within tolerance."""
    if (
        isinstance(recorded, dict)
        and isinstance(fresh, dict)
        and "$tensor" in recorded
        and "$tensor" in fresh
    ):
        return _tensor_difference(recorded["$tensor"], fresh["$tensor"], where)
    if isinstance(recorded, dict) and isinstance(fresh, dict):
        if set(recorded) != set(fresh):
            return f"{where} has keys {sorted(recorded)}, now {sorted(fresh)}"
        for key in sorted(recorded):
            if problem := value_difference(recorded[key], fresh[key], f"{where}.{key}"):
                return problem
        return ""
    if isinstance(recorded, list) and isinstance(fresh, list):
        if len(recorded) != len(fresh):
            return f"{where} has {len(recorded)} items, now {len(fresh)}"
        for index, (a, b) in enumerate(zip(recorded, fresh, strict=True)):
            if problem := value_difference(a, b, f"{where}[{index}]"):
                return problem
        return ""
    if isinstance(recorded, float) and isinstance(fresh, (int, float)) and not isinstance(fresh, bool):
        rtol, atol = PLAIN_FLOAT
        if math.isclose(recorded, fresh, rel_tol=rtol, abs_tol=atol * max(1.0, abs(recorded))):
            return ""
        return f"{where} is {recorded!r}, now {fresh!r}"
    if type(recorded) is not type(fresh) or recorded != fresh:
        return f"{where} is {_short(recorded)}, now {_short(fresh)}"
    return ""


def _tensor_difference(recorded: dict[str, Any], fresh: dict[str, Any], where: str) -> str:
    if recorded.get("dtype") != fresh.get("dtype") or recorded.get("shape") != fresh.get("shape"):
        return (
            f"{where} is a {recorded.get('dtype')} tensor of shape {recorded.get('shape')}, "
            f"now {fresh.get('dtype')} of shape {fresh.get('shape')}"
        )
    dtype = recorded["dtype"]
    if "data" not in recorded or "data" not in fresh:
        return "" if recorded == fresh else f"{where} differs"
    old, new = base64.b64decode(recorded["data"]), base64.b64decode(fresh["data"])
    if old == new:
        return ""
    if dtype not in FLOAT_TOLERANCES:
        return f"{where} ({dtype}) differs"
    a, b = _as_float64(old, dtype), _as_float64(new, dtype)
    if a.shape != b.shape:
        return f"{where} has {a.size} elements, now {b.size}"
    rtol, atol = FLOAT_TOLERANCES[dtype]
    finite = np.isfinite(a).all()
    scale = max(1.0, float(np.abs(a).max())) if finite and a.size else 1.0
    close = np.isclose(b, a, rtol=rtol, atol=atol * scale, equal_nan=True)
    if close.all():
        return ""
    worst = int(np.argmax(np.where(close, 0.0, np.nan_to_num(np.abs(b - a), nan=np.inf))))
    return (
        f"{where}: {int((~close).sum())} of {a.size} elements differ by more than the "
        f"tolerance (element {worst}: recorded {a[worst]:.9g}, now {b[worst]:.9g})"
    )


def _as_float64(raw: bytes, dtype: str) -> np.ndarray:
    if dtype == "bfloat16":  # the high half of a float32
        halves = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
        return halves.view(np.float32).astype(np.float64)
    return np.frombuffer(raw, dtype=np.dtype(dtype)).astype(np.float64)


def _short(value: object) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
