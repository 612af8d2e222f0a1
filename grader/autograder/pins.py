"""Exact pins of every package the grader needs, as installed where the zip is built.

The image installs these versions and nothing newer, with `--no-deps`: what the instructor
tried is what grades. torch is pinned to the installed version and fetched from torch's CPU
index only (the default index gives Linux a multi-GB CUDA build). Packages the grader never
imports in a container are left out: matplotlib (the class report's charts) and nbconvert.
"""

from __future__ import annotations

from importlib import metadata

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from grader.errors import GraderError
from grader.version import DISTRIBUTION

NEEDLESS = frozenset({"matplotlib", "nbconvert"})
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def pinned_requirements() -> list[str]:
    """`name==version` for the grader's dependencies and theirs, sorted, torch first."""
    found: dict[str, str] = {}
    queue = [r for r in _requirements(DISTRIBUTION) if canonicalize_name(r.name) not in NEEDLESS]
    while queue:
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        try:
            found[name] = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            raise GraderError(
                f"{requirement.name} is not installed here: install the grader's dependencies first"
            ) from None
        queue += _requirements(requirement.name)
    if "torch" not in found:
        raise GraderError("torch is not installed here: the zip pins the version you tried")
    lines = sorted(f"{name}=={version}" for name, version in found.items())
    return sorted(lines, key=lambda line: not line.startswith("torch=="))


def _requirements(distribution: str) -> list[Requirement]:
    """What `distribution` requires here (no extras; markers evaluated for this Python)."""
    try:
        declared = metadata.requires(distribution) or []
    except metadata.PackageNotFoundError:
        return []
    environment = {**{key: str(value) for key, value in default_environment().items()}, "extra": ""}
    wanted = []
    for text in declared:
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            wanted.append(requirement)
    return wanted
