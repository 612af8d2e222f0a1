"""grader: a pytest-driven harness that teaches and grades PyTorch homework."""

__version__ = "0.1.0"
