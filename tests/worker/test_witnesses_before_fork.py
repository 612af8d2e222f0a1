"""A question's witnesses taken in the submission's process, before the fork, still see what
student code in the question does (see grader.worker.question.SubmissionWitnesses).

Each check runs in a forked "submission" child that prepares the witnesses and forks a
"question" grandchild, as the worker does; the grandchild reports what its witnesses saw.
"""

from __future__ import annotations

import json
import os
import sys
import types

import torch

from grader.worker import grader_roots
from grader.worker.question import SubmissionWitnesses, _forget_grader_modules

PROBES = types.ModuleType("grader_probes")
PROBES.PROBES, PROBES.FUNCTIONS = {}, {}
TRUSTED = [sys.base_prefix, sys.prefix, os.path.dirname(os.path.dirname(grader_roots.__file__))]


def in_question(body, *, relay_imports: str = "") -> dict:
    """Prepare witnesses in a child, fork a question from it that runs `body(witnesses)`,
    and return what the question printed as JSON on its pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            prepared = SubmissionWitnesses(PROBES, TRUSTED)
            if relay_imports:
                __import__(relay_imports)  # the submission's process imported one more module
            witnesses = prepared.before_fork()
            question = os.fork()
            if question == 0:
                try:
                    os.write(write_end, json.dumps(body(witnesses)).encode())
                finally:
                    os._exit(0)
            os.waitpid(question, 0)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 65536):
        data += chunk
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return json.loads(data)


def test_a_replaced_autograd_entry_point_is_seen():
    def body(witnesses):
        torch.autograd.grad = lambda *args, **kwargs: None  # as student code might
        return {"changes": witnesses.watch.changes()}

    changes = in_question(body)["changes"]
    assert any("torch.autograd.grad" in change for change in changes), changes


def test_nothing_is_seen_when_nothing_changed():
    def body(witnesses):
        return {"changes": witnesses.watch.changes()}

    assert in_question(body) == {"changes": []}


def test_the_grader_is_forgotten_and_a_second_run_of_a_loaded_module_noticed():
    def body(witnesses):
        executed = _forget_grader_modules(witnesses)
        left = [name for name in sys.modules if name.startswith(("grader.", "grader_"))]
        json_module = sys.modules["json"]
        again = executed.again(compile("", json_module.__file__, "exec")) if executed else "none"
        return {"left": left, "again": again}

    seen = in_question(body)
    assert seen["left"] == []
    assert seen["again"] and "a second time" in seen["again"]


def test_a_module_the_relay_imported_after_the_first_look_is_looked_at_again():
    def body(witnesses):
        return {
            "modules": witnesses.modules,
            "now": len(sys.modules),
            "tabnanny": any("tabnanny" in name for name in sys.modules),
        }

    seen = in_question(body, relay_imports="tabnanny")
    assert seen["tabnanny"] and seen["modules"] == seen["now"]
