"""`grader record --check` judges recorded expectations as grading compares, never bit for bit:
values another CPU computes a last bit differently are still fresh; a real change is not."""

from __future__ import annotations

import base64
import copy
import json

import numpy as np
import pytest
import torch

from grader.authoring.freshness import FLOAT_TOLERANCES, stale_differences
from grader.cli import main
from grader.commands import record
from grader.feedback import TOLERANCES
from tests.conftest import ASSIGNMENTS


def recorded(name):
    return (ASSIGNMENTS / name / "expected.json").read_text()


def tensors(data):
    """Every encoded float tensor in an expected.json, in order."""
    found = []

    def walk(value):
        if isinstance(value, dict):
            if "$tensor" in value and value["$tensor"].get("dtype", "").startswith("float"):
                found.append(value["$tensor"])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(data["tests"])
    return found


def rewrite(tensor, change):
    array = np.frombuffer(base64.b64decode(tensor["data"]), dtype=np.dtype(tensor["dtype"])).copy()
    tensor["data"] = base64.b64encode(change(array).astype(array.dtype).tobytes()).decode()


def last_bit(array):
    """Every element one unit in the last place away (towards +inf), as another CPU may give."""
    return np.nextafter(array, np.array(np.inf, dtype=array.dtype))


def test_tolerances_are_gradings():
    assert {getattr(torch, k): v for k, v in FLOAT_TOLERANCES.items()} == TOLERANCES


@pytest.mark.parametrize("name", ["second_order", "maml"])
def test_values_perturbed_in_their_last_bit_are_still_fresh(name):
    text = recorded(name)
    data = json.loads(text)
    found = tensors(data)
    assert len(found) > 10
    for tensor in found:
        rewrite(tensor, last_bit)
    perturbed = json.dumps(data, indent=1, sort_keys=True) + "\n"
    assert perturbed != text
    assert stale_differences(perturbed, text) == []
    assert stale_differences(text, text) == []


def test_a_real_change_is_stale():
    data = json.loads(recorded("second_order"))
    changed = copy.deepcopy(data)
    rewrite(tensors(changed)[3], lambda a: a * (1 + 1e-3) + 1e-3)
    problems = stale_differences(json.dumps(changed), json.dumps(data))
    assert len(problems) == 1 and "differ by more than the tolerance" in problems[0]

    other_inputs = copy.deepcopy(data)
    first = next(iter(other_inputs["tests"].values()))[0]
    first["digest"] = "0" * 64
    assert "other inputs" in stale_differences(json.dumps(other_inputs), json.dumps(data))[0]

    fewer = copy.deepcopy(data)
    fewer["tests"].pop(next(iter(fewer["tests"])))
    assert "not recorded" in stale_differences(json.dumps(fewer), json.dumps(data))[0]

    reshaped = copy.deepcopy(data)
    tensors(reshaped)[0]["shape"] = [1] + tensors(reshaped)[0]["shape"]
    assert "shape" in stale_differences(json.dumps(reshaped), json.dumps(data))[0]

    assert stale_differences("", json.dumps(data))


@pytest.mark.parametrize("perturb, code", [(last_bit, 0), (lambda a: a * 1.01 + 0.01, 1)])
def test_record_check_accepts_last_bit_differences_only(perturb, code, tmp_path, monkeypatch, capsys):
    """The command itself: the reference's fresh recording against a file made on 'another CPU'."""
    fresh = recorded("second_order")
    data = json.loads(fresh)
    for tensor in tensors(data):
        rewrite(tensor, perturb)
    path = tmp_path / "expected.json"
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    monkeypatch.setattr(record, "recorded_expectations", lambda name, ref: (str(path), fresh))
    assert main(["record", "second_order", "--check"]) == code
    out = capsys.readouterr().out
    assert ("is up to date" in out) == (code == 0)
    assert ("is stale" in out) == (code == 1)
