"""grader: a pytest-driven harness that teaches and grades PyTorch homework.

In a notebook, ``from grader import check`` then ``check("QUESTION")`` runs that
question's public tests on the functions defined in the running notebook.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
DISTRIBUTION = "autograd-grader"
"""The name on the package index (`pip install autograd-grader`); the command and the import
package are `grader` (an unrelated project already holds that name on the index)."""


def installed_version() -> str:
    """'<distribution> <version>' as installed, or this source tree's version if not installed."""
    try:
        from importlib.metadata import PackageNotFoundError, version
        return f"{DISTRIBUTION} {version(DISTRIBUTION)}"
    except PackageNotFoundError:
        return f"{DISTRIBUTION} {__version__}"


def check(question: str | None = None, **options: Any) -> Any:
    """Grade this notebook's code on the public tests (see grader.jupyter.check)."""
    from grader.jupyter import check as check_notebook

    return check_notebook(question, **options)
