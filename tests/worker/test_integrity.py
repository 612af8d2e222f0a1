"""The witnesses beside student code: record pipe, audit hook, dict watch, recorders.

Each runs in a forked child (an audit hook cannot be removed once installed), writing its
records to a pipe this test reads, as the relay does.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import types
from pathlib import Path

import pytest

from grader.wire.vocabulary import RecordKind, WorkerExit
from grader.worker import forbidden
from grader.worker.audit_hook import install_audit_hook
from grader.worker.dict_watch import DictWatch, WatchLevel
from grader.worker.question import _forget_grader_modules
from grader.worker.records import RECORD_FD, record, record_writer
from grader.worker.student_frames import StudentFrames

STUDENT = "/tmp/grader-test-student/second_order.py"
FRAMES = StudentFrames([os.path.dirname(os.__file__), str(Path(__file__).parents[2])])


def run_in_child(body) -> tuple[int, list[bytes]]:
    """Run `body(write_record)` in a forked child whose fd 3 is a record pipe; return its
    exit code and the records it wrote."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.dup2(write_end, RECORD_FD)
            body(record_writer())
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
    return os.waitstatus_to_exitcode(status), [line for line in data.split(b"\n") if line]


def student_code(source: str) -> types.CodeType:
    """Code that claims to live in a submission's folder, as a student's module does."""
    return compile(source, STUDENT, "exec")


def with_hook(source: str):
    def body(write_record):
        frames = FRAMES
        _forget_grader_modules()  # as the question process does before the student's import
        install_audit_hook(write_record, frames)
        exec(student_code(source), {})  # noqa: S102

    return body


@pytest.mark.parametrize(
    "door",
    [
        "import sys\nsys._getframe(0)",
        "import inspect\ninspect.currentframe()",
        "import inspect\ninspect.stack()",
        "import gc\ngc.get_referrers(gc)",
        "import gc\ngc.get_objects()",
        "def f(): pass\nf.__code__",
        "def f(): pass\ndef g(): pass\nf.__code__ = g.__code__",
        "class A: pass\nclass B: pass\nclass C(A): pass\nC.__bases__ = (B,)",
        "import sys\nsys.settrace(None)",
        "compile('x = 1', __import__('os').__file__, 'exec')",
        "import ctypes\nctypes.c_int.from_address(id(1))",
        "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    e.__traceback__.tb_frame",
        "import grader",
        "import traceback\ntraceback.StackSummary.extract(traceback.walk_stack(None), capture_locals=True)",
        "import traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
        "    traceback.TracebackException.from_exception(e, capture_locals=True)",
        "import bdb\ntry:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
        "    bdb.Bdb().get_stack(None, e.__traceback__)",
        "import asyncio\nasync def main():\n    return asyncio.current_task().get_stack()\n"
        "asyncio.run(main())",
    ],
)
def test_every_door_student_code_opens_is_recorded(door):
    code, records = run_in_child(with_hook(door))
    assert code == 0
    assert any(r.startswith(RecordKind.TAMPERING) and STUDENT.encode() in r for r in records), records


@pytest.mark.parametrize(
    "idiom",
    [
        "from collections import namedtuple\nP = namedtuple('P', 'a b')",
        "import dataclasses\n@dataclasses.dataclass\nclass A:\n    x: int = 1\nA()",
        "import inspect\ndef f(a, b=1): pass\ninspect.signature(f)",
        "import traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n    traceback.format_exc()",
        "import logging\nlogging.getLogger('x').warning('hello')",
        "import typing\nT = typing.TypeVar('T')",
        "import enum\nclass E(enum.Enum):\n    A = 1",
        "import traceback, io\ntraceback.print_stack(file=io.StringIO())",
        "import traceback\ntry:\n    1 / 0\nexcept ZeroDivisionError as e:\n"
        "    traceback.TracebackException.from_exception(e).format()",
        "import asyncio\nasync def main():\n    return 1\nasyncio.run(main())",
    ],
)
def test_ordinary_idioms_are_not_recorded(idiom):
    code, records = run_in_child(with_hook(idiom))
    assert code == 0
    assert records == []


@pytest.mark.parametrize(
    "again",
    [
        "import importlib, json.decoder\nimportlib.reload(json.decoder)",
        "import importlib.util, json.decoder\n"
        "spec = importlib.util.spec_from_file_location('fresh', json.decoder.__file__)\n"
        "module = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(module)",
        "import sys, json.decoder\ndel sys.modules['json.decoder']\nimport json.decoder",
    ],
)
def test_running_a_trusted_module_a_second_time_is_recorded(again):
    """A second run of a trusted module gives fresh functions that no recorder replaced and
    no watch knows (a forbidden helper, unrecorded)."""
    code, records = run_in_child(with_hook(again))
    assert code == 0
    assert any(r.startswith(RecordKind.TAMPERING) and b"a second time" in r for r in records), records


def test_a_failed_import_may_be_tried_again_but_a_loaded_one_not_run_again(tmp_path):
    """torch imports optional modules again each time one is asked for (an import that failed
    left nothing loaded): not tampering. A module first imported during the question and then
    reloaded is."""
    (tmp_path / "optional_dependency.py").write_text("raise ImportError('not installed')\n")
    (tmp_path / "lazily_imported.py").write_text("VALUE = 1\n")
    frames = StudentFrames([*FRAMES.trusted, str(tmp_path)])

    def body(write_record):
        install_audit_hook(write_record, frames)
        sys.path.insert(0, str(tmp_path))
        for _ in range(3):
            with contextlib.suppress(ImportError):
                importlib.import_module("optional_dependency")
        write_record(b"\nHafter the retries\n")
        importlib.reload(importlib.import_module("lazily_imported"))

    code, records = run_in_child(body)
    assert code == 0
    assert records[0] == b"Hafter the retries", records
    assert len(records) == 2 and b"lazily_imported.py a second time" in records[1], records


@pytest.mark.parametrize(
    "forged",
    [
        "import codeop\ncode = codeop.compile_command('import gc\\ngc.get_objects()', "
        "'<frozen zipimport>', 'exec')\nexec(code, {})",
        "import codeop, os\ncodeop.compile_command('x = 1', os.__file__, 'exec')",
        "import importlib.machinery, os\n"
        "importlib.machinery.SourceFileLoader('os', os.__file__).source_to_code('x = 1', os.__file__)",
    ],
)
def test_code_given_a_trusted_files_name_is_recorded_whoever_compiles_it(forged):
    """Trust follows a code object's file name: source compiled under a trusted name by a
    standard library helper (whose frame is the innermost) would make the student's code
    trusted, and every door it then opens unseen (gc.get_objects here)."""
    code, records = run_in_child(with_hook(forged))
    assert code == 0
    assert records and all(
        r.startswith(RecordKind.TAMPERING + b"compiled code claiming to be") for r in records
    ), records


def test_the_import_system_compiling_a_modules_own_source_is_not_recorded():
    code, records = run_in_child(
        with_hook(
            "import importlib.machinery, os\nsource = open(os.__file__, 'rb').read()\n"
            "importlib.machinery.SourceFileLoader('os', os.__file__).source_to_code(source, os.__file__)"
        )
    )
    assert code == 0
    assert records == []


def test_a_function_named_like_a_frame_giver_in_a_students_file_is_no_giver():
    """inspect.stack is looked through to its caller; a function of the student's named
    `stack` in a file of its own called inspect.py is not, even when trusted code calls it."""

    def body(write_record):
        scope = {}
        exec(
            compile(
                "import sys\ndef stack():\n    return sys._getframe(1)\n",
                "/tmp/grader-test-student/inspect.py",
                "exec",
            ),
            scope,
        )
        install_audit_hook(write_record, FRAMES)
        list(map(lambda _: scope["stack"](), [0]))  # called from trusted code (map, a builtin)

    code, records = run_in_child(body)
    assert code == 0
    assert any(b"called sys._getframe at /tmp/grader-test-student/inspect.py" in r for r in records), records


def test_importing_a_module_for_the_first_time_is_not_recorded():
    code, records = run_in_child(
        with_hook(
            "import colorsys\ncolorsys.rgb_to_hsv(1.0, 0.0, 0.0)\n"
            "exec(compile('x = 1', '<string>', 'exec'), {})"
        )
    )
    assert code == 0
    assert records == []


def test_nothing_of_the_worker_stays_reachable_from_sys():
    """The worker's entry module stays registered as __main__ (and __mp_main__), and the
    worker sets sys.breakpointhook: both led, through __globals__, to every worker module."""

    def body(write_record):
        from grader.worker import serve
        from grader.worker.entry import no_debugger

        entry = types.ModuleType("__main__")
        entry.__file__ = os.path.join(os.path.dirname(serve.__file__), "__main__.py")
        entry.main = serve.main
        sys.modules["__main__"] = sys.modules["__mp_main__"] = entry
        sys.breakpointhook = no_debugger
        _forget_grader_modules()
        hook = sys.breakpointhook
        hook("a breakpoint() left in the code does nothing")
        cut = [
            sys.modules[name] is not entry and not hasattr(sys.modules[name], "main")
            for name in ("__main__", "__mp_main__")
        ]
        cut.append(set(hook.__globals__) == {"__builtins__"} and not hook.__globals__["__builtins__"])
        write_record(b"\nH" + repr(cut).encode() + b"\n")

    code, records = run_in_child(body)
    assert code == 0
    assert records == [b"H[True, True, True]"]


def test_a_swapped_record_pipe_ends_the_process():
    def body(write_record):
        other_read, other_write = os.pipe()
        os.dup2(other_write, RECORD_FD)  # student code puts its own pipe in place
        write_record(b"Tnever written\n")

    code, records = run_in_child(body)
    assert code == WorkerExit.TAMPERED
    assert records == []


def test_the_dict_watch_sees_a_change_even_when_undone():
    namespace = types.ModuleType("trusted")
    namespace.grad = len
    watch = DictWatch({"trusted": namespace}, FRAMES)
    assert watch.changes() == []
    namespace.grad = print
    namespace.grad = len  # restored before the check
    assert watch.changes() == ["trusted was changed and restored"]


def test_the_dict_watch_sees_a_replacement_and_accepts_a_new_submodule():
    namespace = types.ModuleType("trusted")
    namespace.grad = len
    watch = DictWatch({"trusted": namespace}, FRAMES)
    namespace.submodule = types.ModuleType("trusted.submodule")  # a lazy import
    namespace.__warningregistry__ = {}
    assert watch.changes() == []
    namespace.grad = print
    assert watch.changes() == ["trusted.grad was replaced"]


def test_the_classes_and_tables_of_a_watched_module_are_watched_too():
    """A method of the input guard's classes, or the table of frame-handing helpers, is looked
    up at each use: rewriting one, wherever the reference came from, is seen."""
    namespace = types.ModuleType("trusted")
    exec(
        "class Guard:\n    def differences(self, t):\n        return ['its values']\n"
        "GIVERS = {'/inspect.py': frozenset({'stack'})}\n",
        vars(namespace),
    )
    other = type("Elsewhere", (), {"f": len})  # defined in another module: not this one's
    namespace.Elsewhere = other
    watch = DictWatch({"trusted": namespace}, FRAMES)
    other.f = print
    assert watch.changes() == []
    namespace.Guard.differences = lambda self, t: []
    namespace.GIVERS["/second_order.py"] = frozenset({"first_order_grads"})
    assert watch.changes() == [
        "trusted.Guard.differences was replaced",
        "trusted.GIVERS./second_order.py was replaced",
    ]


def test_torch_rebinding_its_own_names_is_not_tampering():
    """A lenient namespace accepts a value from trusted code (torch.set_default_dtype rebinds
    torch.Storage), never one from the student's file, and ignores an undone change."""
    namespace = types.ModuleType("torch_like")
    namespace.grad = len
    watch = DictWatch({"torch": namespace}, FRAMES, {"torch": WatchLevel.LENIENT})
    namespace.grad = os.path.join  # defined in the standard library: trusted
    namespace.other = print
    namespace.other = len
    assert watch.changes() == []
    namespace.grad = eval("lambda *a: None", {})  # noqa: S307 - code from outside trusted files
    assert watch.changes() == ["torch.grad was replaced"]


def test_nothing_may_take_a_recorders_place_not_even_torchs_own_function():
    """A lenient or guarded namespace accepts torch rebinding its own names, but a recorder
    put back to the original helper (found in memory, or in a copy of the module) is not
    torch rebinding anything: the helper would then run unrecorded."""
    namespace = types.ModuleType("torch_like")
    namespace.hessian = forbidden.recorder("torch.autograd.functional.hessian", os.path.join)
    watch = DictWatch({"functional": namespace}, FRAMES, {"functional": WatchLevel.GUARDED})
    namespace.hessian = os.path.join  # the original: a function of a trusted file
    assert watch.changes() == ["functional.hessian, a forbidden helper's recorder, was replaced"]


def test_an_instance_of_trusted_calls_is_watched_too():
    class Calls:
        def __init__(self):
            self.changes = len

    calls = Calls()
    watch = DictWatch({"calls": calls}, FRAMES)
    calls.changes = lambda *args: []
    assert watch.changes() == ["calls.changes was replaced"]


def test_a_recorder_has_nothing_to_follow_or_swap():
    def body(write_record):
        def helper(a):
            return a + 1

        forbidden.WRITER[0] = write_record
        recorded = forbidden.recorder("torch.func.hessian", helper)
        assert not hasattr(recorded, "__wrapped__")
        assert recorded.__closure__ is None and recorded.__globals__ == {"__builtins__": {}}
        assert recorded(1) == 2

    code, records = run_in_child(body)
    assert code == 0
    assert records == [b"Ftorch.func.hessian"]


def test_the_writer_slot_once_bound_silences_no_recorder():
    """Student code that reaches forbidden.WRITER (as the worker's __main__ once allowed) and
    puts `len` there, by the slot's own method or list's, changes no recorder: each holds its
    question's writer in its code."""

    def body(write_record):
        made_before = forbidden.recorder("torch.func.hessian", abs)
        forbidden.WRITER[0] = write_record
        made_after = forbidden.recorder("torch.func.jacrev", abs)
        forbidden.WRITER[0] = len
        list.__setitem__(forbidden.WRITER, 0, len)
        if made_before(-1) != 1 or made_after(-2) != 2:
            raise AssertionError("a recorder no longer calls its original")

    code, records = run_in_child(body)
    assert code == 0
    assert records == [b"Ftorch.func.hessian", b"Ftorch.func.jacrev"]


def test_a_recorder_ends_the_process_when_the_record_pipe_is_swapped_around_a_call():
    def body(write_record):
        forbidden.WRITER[0] = write_record
        recorded = forbidden.recorder("torch.func.hessian", len)
        saved = os.dup(RECORD_FD)
        os.dup2(os.open(os.devnull, os.O_WRONLY), RECORD_FD)
        recorded("unrecorded?")
        os.dup2(saved, RECORD_FD)

    code, records = run_in_child(body)
    assert code == WorkerExit.TAMPERED and records == []


def test_stray_bytes_cannot_swallow_a_record():
    """A record starts on a line of its own, whatever student code wrote to the pipe before."""

    def body(write_record):
        os.write(RECORD_FD, b"F")  # hoping to glue our record to a harmless kind
        write_record(record(RecordKind.TAMPERING, "called sys._getframe"))

    code, records = run_in_child(body)
    assert records == [b"F", b"Tcalled sys._getframe"]
