"""torch's symbolic-shapes module waits until something needs more than a size check.

Each case runs in a fresh interpreter: this process has imported torch's modules already.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.conftest import ROOT


def run_fresh(source: str) -> dict:
    """Run `source` in a fresh interpreter; what it printed last, read as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_gradients_with_grad_outputs_import_no_sympy_and_stay_right():
    seen = run_fresh(
        """
        import json, sys, torch
        from grader.worker import shapes_on_demand
        shapes_on_demand.install()
        x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (g,) = torch.autograd.grad((x**3).sum(), x, create_graph=True)
        (hvp,) = torch.autograd.grad(g, x, grad_outputs=torch.tensor([1.0, 0.0, 2.0]))
        y = x.detach().clone().requires_grad_(True)
        (y * y).backward(torch.ones(3))
        try:
            torch.autograd.grad(g, x, grad_outputs=torch.ones(4))
            mismatch = ""
        except RuntimeError as error:
            mismatch = str(error)
        print(json.dumps({"hvp": hvp.tolist(), "backward": y.grad.tolist(), "mismatch": mismatch,
                          "sympy": "sympy" in sys.modules}))
        """
    )
    assert seen["hvp"] == [6.0, 0.0, 36.0]  # 6 x * v
    assert seen["backward"] == [2.0, 4.0, 6.0]
    assert "Mismatch in shape" in seen["mismatch"]
    assert not seen["sympy"]


def test_plain_sizes_are_judged_as_torchs_own_helpers_judge_them():
    seen = run_fresh(
        """
        import json, torch
        from grader.worker import shapes_on_demand
        shapes_on_demand.install()
        from torch.fx.experimental.symbolic_shapes import expect_true, sym_eq
        pairs = [((2, 3), (2, 3)), (torch.Size([2, 3]), (2, 4)), ((), ()), ([1], (1, 1)), (5, 5), (5, 6),
                 (torch.Size([4]), torch.Size([4])), ((2, 3), 2), (2, (2,))]
        def answer(eq, a, b):
            try:
                return repr(eq(a, b))
            except Exception as error:
                return type(error).__name__
        def answers(eq, expect):
            out = [answer(eq, a, b) for a, b in pairs] + [repr(expect(True)), repr(expect(False))]
            try:
                expect(1)
            except AssertionError:
                out.append("refused")
            return out
        fast = answers(sym_eq, expect_true)
        import torch.fx.experimental.symbolic_shapes as shapes
        torchs = answers(shapes.ShapeEnv and shapes.sym_eq, shapes.expect_true)  # loads it
        print(json.dumps({"fast": fast, "torchs": torchs, "loaded": type(shapes).__name__}))
        """
    )
    assert seen["fast"] == seen["torchs"]
    assert seen["fast"][-1] == "refused"
    assert seen["loaded"] == "module"


def test_anything_else_runs_the_real_module_in_place():
    seen = run_fresh(
        """
        import json, sys, torch
        from grader.worker import shapes_on_demand
        shapes_on_demand.install()
        lazy = sys.modules[shapes_on_demand.NAME]
        weight = torch.zeros(2, requires_grad=True)
        weight.sum().backward()
        torch.optim.Adam([weight], lr=0.1).step()  # imports torch._dynamo
        import torch.fx.experimental.symbolic_shapes as shapes
        print(json.dumps({"same": shapes is lazy and sys.modules[shapes_on_demand.NAME] is lazy,
                          "plain": type(lazy) is type(sys), "shape_env": hasattr(shapes, "ShapeEnv"),
                          "sympy": "sympy" in sys.modules, "moved": weight.tolist() != [0.0, 0.0]}))
        """
    )
    assert seen == {"same": True, "plain": True, "shape_env": True, "sympy": True, "moved": True}


def test_a_worker_readied_for_student_code_has_not_imported_sympy():
    """The walks over every module before student code (the forbidden helpers' recorders, the
    grader's roots, `inspect.getmodule`) leave the module waiting; an assignment that trains
    pays for it at its warm-up step anyway."""
    seen = run_fresh(
        """
        import inspect, json, pathlib, sys
        from grader.course.assignment import Assignment
        from grader.worker import entry, grader_roots
        from grader.wire.limits import ResourceLimits
        helpers = dict(Assignment.load(pathlib.Path("assignments/second_order")).forbidden.helpers)
        options = entry.WorkerOptions(ResourceLimits(), helpers, warm_optimizer=False, isolate=False, keep=())
        entry.ready_for_student_code(options)
        inspect.getmodule(json.dumps)
        grader_roots.cut_grader_roots()
        before = "sympy" in sys.modules
        entry.warm_up(optimizer=True)
        print(json.dumps({"before": before, "after_training_warm_up": "sympy" in sys.modules}))
        """
    )
    assert seen == {"before": False, "after_training_warm_up": True}
