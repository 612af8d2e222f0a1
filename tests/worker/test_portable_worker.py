"""The portable worker (no fork: a fresh interpreter per question), as Windows and macOS run
it, proved here on Linux with GRADER_WORKER=portable: the choice of mode, limits only where
the platform has them, a crash costs only its question, and the `grader check` tests pass in
that mode (the portable zygote ends if it ever forks, so a portable mode that forked fails),
with the pipes polled as on Windows (GRADER_PIPES=portable, grader/wire/pipes.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import grader.worker_client as worker_client
from grader import worker_mode
from grader.cli import main
from grader.wire import pipes
from grader.wire.vocabulary import WorkerExit
from tests.conftest import SUBMISSIONS, public_marks

ROOT = Path(__file__).resolve().parents[2]


def test_fork_where_safe_else_portable_and_the_environment_chooses(monkeypatch):
    monkeypatch.delenv(worker_mode.ENVIRONMENT, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert worker_mode.worker_module() == "grader.worker"
    monkeypatch.setenv(worker_mode.ENVIRONMENT, "portable")
    assert worker_mode.worker_module() == "grader.worker.portable"
    assert worker_mode.worker_module(isolate=True) == "grader.worker"  # the sandbox forks
    monkeypatch.setattr(sys, "platform", "darwin")  # fork is unsafe after importing torch
    monkeypatch.setenv(worker_mode.ENVIRONMENT, "fork")
    assert worker_mode.worker_module() == "grader.worker.portable"
    monkeypatch.delenv(worker_mode.ENVIRONMENT)
    assert worker_mode.worker_module() == "grader.worker.portable"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delattr(os, "fork", raising=False)
    assert worker_mode.worker_module() == "grader.worker.portable"


def test_limits_import_resource_lazily_and_apply_only_what_exists():
    script = (
        "import sys; sys.modules['resource'] = None\n"
        "from grader.wire.limits import ResourceLimits\n"
        "print(ResourceLimits().apply(where_available=True))\n"
        "try:\n    ResourceLimits().apply()\n"
        "except ImportError:\n    print('strict mode refuses')\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["['all (no resource module)']", "strict mode refuses"]


def test_the_pipes_chosen_reach_the_portable_worker_only(monkeypatch, tmp_path):
    spec = worker_client.WorkerSpec(folder=tmp_path, home=tmp_path)
    monkeypatch.setenv(pipes.ENVIRONMENT, "portable")
    portable = worker_client._environment(spec, "grader.worker.portable")
    assert portable[pipes.ENVIRONMENT] == "portable"
    assert pipes.ENVIRONMENT not in worker_client._environment(spec, "grader.worker")
    monkeypatch.delenv(pipes.ENVIRONMENT)
    assert pipes.ENVIRONMENT not in worker_client._environment(spec, "grader.worker.portable")


@pytest.fixture(params=["select", "portable"])
def portable(monkeypatch, request):
    """GRADER_WORKER=portable with each kind of pipes, and the command lines of the workers
    the grader starts (each with the GRADER_PIPES its environment was given)."""
    monkeypatch.setenv(worker_mode.ENVIRONMENT, "portable")
    monkeypatch.setenv(pipes.ENVIRONMENT, request.param)
    started = []
    real = worker_client.subprocess.Popen

    def popen(argv, *args, **kwargs):
        started.append([*argv, (kwargs.get("env") or {}).get(pipes.ENVIRONMENT)])
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(worker_client.subprocess, "Popen", popen)
    return started


@pytest.mark.slow
def test_check_in_portable_mode_grades_and_a_crash_costs_only_its_question(portable, tmp_path, capsys):
    source = (SUBMISSIONS / "second_order" / "correct_compact.py").read_text()
    source += "\n\ndef hvp(f, x, v):\n    import os\n    os._exit(3)\n"
    (tmp_path / "second_order.py").write_text(source)
    code = main(["check", str(tmp_path / "second_order.py")])
    out = capsys.readouterr().out
    assert code == 1
    workers = [argv[argv.index("-m") + 1] for argv in portable if "-m" in argv]
    assert workers and set(workers) == {"grader.worker.portable"}
    assert {argv[-1] for argv in portable if "-m" in argv} == {os.environ[pipes.ENVIRONMENT]}
    rows = {
        line.split("│")[1].strip(): line
        for line in out.splitlines()
        if line.startswith("│") and line.count("│") >= 5
    }
    assert "passed" in rows["gradient_penalty"] and "passed" in rows["first_order_grads"]
    assert "crashed" in rows["hvp"]
    assert "exited with code 3" in out
    public = public_marks("second_order")
    assert f"Public tests: {sum(public.values()) - public['hvp']:g}/{sum(public.values()):g} points" in out


@pytest.mark.slow
def test_the_check_suite_passes_in_portable_mode():
    """The `grader check` tests (command line, notebook, release and CI), run again with
    GRADER_WORKER=portable and the pipes polled as Windows polls them."""
    env = {**os.environ, worker_mode.ENVIRONMENT: "portable", pipes.ENVIRONMENT: "portable"}
    failures = []
    for files, selection in (
        (["tests/commands/test_cli.py", "tests/test_jupyter.py"], "check"),
        (["tests/commands/test_release_and_ci.py"], "check or ci_on"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files, "-k", selection],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr
        if run.returncode != 0 or " passed" not in summary:
            failures.append(run.stdout[-4000:] + run.stderr[-2000:])
    assert not failures, "\n".join(failures)


def test_the_project_workflow_tests_every_claimed_python_on_three_systems():
    import tomllib

    from ruamel.yaml import YAML

    path = ROOT / ".github" / "workflows" / "tests.yml"
    checker = Path(sys.executable).parent / "check-jsonschema"
    run = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    matrix = YAML(typ="safe").load(path.read_text())["jobs"]["test"]["strategy"]["matrix"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    claimed = [
        c.rsplit(" :: ", 1)[1]
        for c in project["classifiers"]
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert matrix["python"] == claimed
    assert project["requires-python"] == f">={claimed[0]}"
    assert set(matrix["os"]) == {"ubuntu-latest", "macos-latest", "windows-latest"}


def test_on_windows_a_question_process_ends_with_the_worker_that_started_it(monkeypatch):
    """Windows kills no process group: each question process watches its worker (the
    platform's calls stubbed: the worker here is already gone)."""
    import threading
    import types

    from grader.worker import portable as portable_worker

    opened, ended = [], threading.Event()
    winapi = types.SimpleNamespace(
        INFINITE=0xFFFFFFFF,
        OpenProcess=lambda access, inherit, pid: opened.append(pid) or 7,
        WaitForSingleObject=lambda handle, wait: opened.append(("waited", handle, wait)),
    )
    monkeypatch.setitem(sys.modules, "_winapi", winapi)
    monkeypatch.setattr(os, "_exit", lambda code: (opened.append(("exit", code)), ended.set()))
    portable_worker._end_with_parent()
    assert ended.wait(10)
    assert opened == [os.getppid(), ("waited", 7, 0xFFFFFFFF), ("exit", WorkerExit.ORPHANED)]
