"""Everything that runs beside student code, in the worker process and its children.

This package imports nothing of the grader but :mod:`grader.wire` (a test enforces it):
whatever student code can reach here, it cannot reach the trusted side through imports.
"""
