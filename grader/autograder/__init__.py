"""Grading on Gradescope: the autograder zip built from the course, and what runs in its container.

Gradescope builds an image from the zip once (`setup.sh`) and runs `run_autograder` for each
submission in a fresh container, as root, with 0.5 CPU and 768 MB by default. Everything here
serves that: the zip's contents (:mod:`bundle`), one submission's grading inside the container
(:mod:`supervise`, :mod:`grade_one`), its confinement without namespaces (:mod:`confine`,
with the sandbox's seccomp filter), and a local trial in a Gradescope-like layout (:mod:`trial`).
"""
