"""The release's workflow as shipped: its `run:` steps, in order, in a fresh virtual environment.

The grader's wheel is built from this checkout and given to `grader release --requirement`
(a course may publish a wheel or a git URL); torch's CPU-only index is stood in for by what
this machine can install (the same torch as this environment's, a CPU build). Nothing else
in the steps is changed: the steps themselves must pass on a correct push and fail on a
wrong one, with the `Points:` line and the JUnit file as a CI would see them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import torch
from junitparser import JUnitXml
from ruamel.yaml import YAML

from grader.cli import main
from grader.version import DISTRIBUTION, __version__
from tests.conftest import SUBMISSIONS, public_marks

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = public_marks("second_order")
PUBLIC_SCORE = sum(PUBLIC.values())


def build_wheel(folder: Path) -> Path:
    """The grader's wheel, built from a copy of this checkout (no build files left in it)."""
    source = folder / "source"
    shutil.copytree(ROOT / "grader", source / "grader", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(folder / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = (folder / "dist").glob("*.whl")
    return wheel


def workflow_steps(release: Path) -> tuple[dict[str, str], list[dict]]:
    workflow = YAML(typ="safe").load((release / ".github/workflows/autograde.yml").read_text())
    (job,) = workflow["jobs"].values()
    return {k: str(v) for k, v in workflow["env"].items()}, job["steps"]


def run_steps(
    steps: list[dict], cwd: Path, env: dict[str, str]
) -> list[tuple[str, subprocess.CompletedProcess]]:
    """Each `run:` step as GitHub runs it on ubuntu (`bash -e`), in order, until one fails
    (a step with `if: always()` runs anyway)."""
    done, failed = [], False
    for step in steps:
        if "run" not in step or (failed and "always()" not in str(step.get("if", ""))):
            continue
        result = subprocess.run(
            ["bash", "-e", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
        )
        done.append((step.get("name", step["run"]), result))
        failed = failed or result.returncode != 0
    return done


@pytest.mark.slow
def test_the_release_workflow_grades_a_push_as_shipped(tmp_path):
    wheel = build_wheel(tmp_path)
    assert wheel.name.startswith(f"{DISTRIBUTION.replace('-', '_')}-{__version__}-")
    release = tmp_path / "repo"
    assert main(["release", "second_order", "--out", str(release), "--requirement", str(wheel)]) == 0
    workflow_env, steps = workflow_steps(release)
    assert workflow_env["GRADER_REQUIREMENT"] == str(wheel)
    assert workflow_env["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    assert [s.get("name") for s in steps if "run" in s] == [
        "Install torch (CPU-only build)",
        "Install the grader",
        "Grade",
    ]

    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    bin_dir = environment / ("Scripts" if os.name == "nt" else "bin")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(workflow_env)
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env['PATH']}",
        GITHUB_ACTIONS="true",
        GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
        # the stand-in for torch's CPU-only index: this machine's index, and exactly
        # the CPU build this environment runs
        TORCH_INDEX_URL="https://pypi.org/simple",
        TORCH_REQUIREMENT=f"torch=={torch.__version__}",
    )

    shutil.copy(SUBMISSIONS / "second_order" / "correct_compact.py", release / "second_order.py")
    done = run_steps(steps, release, env)
    for name, result in done:
        assert result.returncode == 0, f"{name}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    grade = dict(done)["Grade"]
    assert grade.stdout.rstrip().splitlines()[-1] == f"Points: {PUBLIC_SCORE:g}/{PUBLIC_SCORE:g}"
    suite = next(iter(JUnitXml.fromfile(str(release / "grader-junit.xml"))))
    assert suite.tests == 15 and suite.failures == 0 and suite.errors == 0
    installed = subprocess.run(
        [str(bin_dir / "grader"), "--version"], capture_output=True, text=True, env=env
    )
    assert installed.stdout.strip() == f"{DISTRIBUTION} {__version__}"
    assert (
        "+cpu"
        in subprocess.run(
            [str(bin_dir / "python"), "-c", "import torch; print(torch.__version__)"],
            capture_output=True,
            text=True,
            env=env,
        ).stdout
    )

    (release / "grader-junit.xml").unlink()
    shutil.copy(SUBMISSIONS / "second_order" / "zeroed_gradients.py", release / "second_order.py")
    done = run_steps(steps, release, env)
    outcomes = {name: result.returncode for name, result in done}
    assert outcomes["Install torch (CPU-only build)"] == 0 and outcomes["Install the grader"] == 0
    assert outcomes["Grade"] == 1
    grade = dict(done)["Grade"]
    zeroed = PUBLIC_SCORE - PUBLIC["grads_without_zeroing"]
    assert grade.stdout.rstrip().splitlines()[-1] == f"Points: {zeroed:g}/{PUBLIC_SCORE:g}"
    assert "::error file=second_order.py" in grade.stdout
    suite = next(iter(JUnitXml.fromfile(str(release / "grader-junit.xml"))))
    assert suite.tests == 15 and suite.failures == 2


def test_grader_version_names_the_distribution(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"{DISTRIBUTION} {__version__}"


@pytest.mark.parametrize(
    "flags, spec",
    [
        ([], f"{DISTRIBUTION}=={__version__}"),
        (
            ["--requirement", f"{DISTRIBUTION} @ git+https://example.org/course/grader@v{__version__}"],
            f"{DISTRIBUTION} @ git+https://example.org/course/grader@v{__version__}",
        ),
        (
            ["--requirement", "https://example.org/wheels/autograd_grader-0.1.0-py3-none-any.whl"],
            "https://example.org/wheels/autograd_grader-0.1.0-py3-none-any.whl",
        ),
    ],
)
def test_the_workflow_installs_the_grader_it_was_built_with_and_torch_for_the_cpu(flags, spec, tmp_path):
    release = tmp_path / "repo"
    assert main(["release", "second_order", "--out", str(release), *flags]) == 0
    workflow_env, steps = workflow_steps(release)
    assert workflow_env["GRADER_REQUIREMENT"] == spec
    assert workflow_env["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    runs = [s["run"] for s in steps if "run" in s]
    torch_step = next(r for r in runs if "TORCH_REQUIREMENT" in r)
    assert '--index-url "$TORCH_INDEX_URL"' in torch_step
    assert runs.index(torch_step) < next(i for i, r in enumerate(runs) if "GRADER_REQUIREMENT" in r)
    assert runs[-1].startswith("grader ci") and "--junit" in runs[-1]
    setup = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert setup["with"]["cache"] == "pip"
    upload = next(s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "grader-junit.xml"
    assert spec in (release / "README.md").read_text()
