"""Grade one batch three ways and print the figures: the grader, the usual course script, the floor.

    .venv/bin/python benchmarks/batch_throughput.py [N] [--assignment second_order]

N correct and N wrong submissions (from tests/submissions) are graded:
  (a) `grader grade ASSIGNMENT batch --jobs 2` (sandboxed when this machine can), in a
      subprocess, its process tree's peak memory sampled;
  (b) a fresh `python -m pytest` process per submission that imports the student's module
      and the reference and compares them on random inputs, as most course scripts do;
  (c) the floor: the time spent inside student and reference code alone, in one process.
It prints submissions per minute, seconds per submission, the overhead beyond the floor and
the peak memory. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = {"second_order": ("correct_compact", "zeroed_gradients"),
         "maml": ("correct_loop_style", "sum_instead_of_mean")}

FRESH_PYTEST = textwrap.dedent('''
    import importlib.util, os, torch
    def load(name, path):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    student = load("student", os.environ["STUDENT"])
    reference = load("reference", os.environ["REFERENCE"])
    {tests}
''')

SECOND_ORDER_TESTS = textwrap.dedent('''
    def test_questions():
        g = torch.Generator().manual_seed(0)
        x, y = torch.randn(7, generator=g, dtype=torch.float64), torch.randn(7, generator=g, dtype=torch.float64)
        f = lambda t: (t ** 4).sum()
        for name, args in [("first_order_grads", (x, y)), ("second_partials", (x, y, 2)),
                           ("grads_without_zeroing", (x, y, 2)), ("hessian", (f, x)), ("hvp", (f, x, y))]:
            got, want = getattr(student, name)(*args), getattr(reference, name)(*args)
            for a, b in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
                assert torch.allclose(a, b)
''')

MAML_TESTS = textwrap.dedent('''
    def test_questions():
        g = torch.Generator().manual_seed(0)
        params = reference.init_params(10, g)
        tasks = reference.sample_tasks(3, 5, 5, g)
        for first_order in (False, True):
            a = student.meta_loss(params, tasks, 0.03, 1, first_order)
            b = reference.meta_loss(params, tasks, 0.03, 1, first_order)
            assert torch.allclose(a, b)
''')


def make_batch(assignment: str, count: int, folder: Path) -> list[Path]:
    paths = []
    for index in range(count):
        for kind in CASES[assignment]:
            path = folder / f"{kind}_{index:03d}.py"
            shutil.copy(ROOT / "tests" / "submissions" / assignment / f"{kind}.py", path)
            paths.append(path)
    return paths


class TreeMemory:
    """Samples the resident memory of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, False
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop:
            self.peak = max(self.peak, self._tree_rss())
            time.sleep(0.1)

    def _tree_rss(self) -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
        total, todo = 0, [self.pid]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo += children.get(pid, [])
        return total

    def stop(self) -> int:
        self._stop = True
        self._thread.join()
        return self.peak


def run_grader(assignment: str, batch: Path, out: Path, sandbox: bool) -> tuple[float, int]:
    command = [sys.executable, "-m", "grader", "grade", assignment, str(batch), "--out", str(out),
               "--jobs", "2", *([] if sandbox else ["--no-sandbox"])]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    memory = TreeMemory(process.pid)
    process.wait()
    return time.perf_counter() - started, memory.stop()


def run_fresh_pytest(assignment: str, paths: list[Path], folder: Path) -> float:
    tests = SECOND_ORDER_TESTS if assignment == "second_order" else MAML_TESTS
    test_file = folder / "test_course_script.py"
    test_file.write_text(FRESH_PYTEST.format(tests=tests))
    reference = ROOT / "reference" / assignment / f"{assignment}.py"
    started = time.perf_counter()
    for path in paths:
        env = {**os.environ, "STUDENT": str(path), "REFERENCE": str(reference)}
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        str(test_file)], cwd=folder, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_floor(assignment: str, paths: list[Path]) -> float:
    """Time inside student and reference code alone: the grader's calls, nothing around them."""
    import torch

    from grader.module_files import import_file

    torch.set_num_threads(1)
    reference = import_file("bench_reference", ROOT / "reference" / assignment / f"{assignment}.py")
    spent = 0.0
    for index, path in enumerate(paths):
        student = import_file(f"bench_student_{index}", path)
        for module in (student, reference):
            started = time.perf_counter()
            _exercise(assignment, module)
            spent += time.perf_counter() - started
    return spent


def _exercise(assignment: str, module) -> None:
    import torch

    g = torch.Generator().manual_seed(0)
    if assignment == "second_order":
        for n, dtype in ((3, torch.float32), (7, torch.float64)):
            x, y = torch.randn(n, generator=g, dtype=dtype), torch.randn(n, generator=g, dtype=dtype)
            f = lambda t: (t ** 4).sum()  # noqa: E731
            module.first_order_grads(x, y), module.second_partials(x, y, 1)
            module.grads_without_zeroing(x, y, 1), module.hessian(f, x), module.hvp(f, x, y)
            module.gradient_penalty(lambda b: (b ** 3).sum(1), torch.stack([x, y]))
        for dtype in (torch.float32, torch.float64):
            big = torch.randn(2_000_000, generator=g, dtype=dtype)
            module.hvp(lambda t: (t ** 4).sum(), big, big)
        return
    params = [p.detach() for p in module.init_params(10, g)]
    tasks = module.sample_tasks(3, 6, 6, g)
    for steps in (1, 3):
        for first_order in (False, True):
            leaves = [p.clone().requires_grad_() for p in params]
            loss = module.meta_loss(leaves, tasks, 0.03, steps, first_order)
            torch.autograd.grad(loss, leaves)
    module.meta_train([p.clone().requires_grad_() for p in module.init_params(40, g)], 2000,
                      generator=g)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", nargs="?", type=int, default=10, help="N of each kind")
    parser.add_argument("--assignment", default="second_order", choices=sorted(CASES))
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sandbox = os.geteuid() == 0 and shutil.which("bwrap") is not None
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "batch").mkdir()
        paths = make_batch(options.assignment, options.count, folder / "batch")
        n = len(paths)
        grader_seconds, peak = run_grader(options.assignment, folder / "batch", folder / "out", sandbox)
        pytest_seconds = run_fresh_pytest(options.assignment, paths, folder)
        floor_seconds = run_floor(options.assignment, paths)
    print(f"{options.assignment}: {n} submissions ({options.count} correct, {options.count} wrong)")
    for label, seconds in ((f"(a) grader grade --jobs 2{' (sandbox)' if sandbox else ''}", grader_seconds),
                           ("(b) fresh python -m pytest per submission", pytest_seconds),
                           ("(c) floor: student and reference code only", floor_seconds)):
        print(f"  {label:48s} {seconds:8.1f} s  {seconds / n:6.2f} s/submission  "
              f"{n / seconds * 60:8.1f} submissions/min")
    print(f"  grader throughput / fresh pytest: {pytest_seconds / grader_seconds:.2f}x")
    print(f"  grader overhead beyond the floor: {(grader_seconds - floor_seconds) / n:.2f} s/submission"
          " (wall clock with 2 jobs against single-process floor)")
    print(f"  peak memory of grader grade --jobs 2 (process tree RSS): {peak / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()
