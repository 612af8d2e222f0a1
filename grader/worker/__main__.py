"""``python -m grader.worker``: the student worker's entry point."""

from grader.worker.serve import main

main()
