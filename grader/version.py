"""Which grader this is: the version every gradebook row and release records."""

from __future__ import annotations

__version__ = "0.1.0"
DISTRIBUTION = "autograd-grader"
"""The name on the package index (`pip install autograd-grader`); the command and the import
package are `grader` (an unrelated project already holds that name on the index)."""


def installed_version() -> str:
    """'<distribution> <version>' as installed, or this source tree's version if not installed."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{DISTRIBUTION} {version(DISTRIBUTION)}"
    except PackageNotFoundError:
        return f"{DISTRIBUTION} {__version__}"
