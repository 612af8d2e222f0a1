"""Leaves a thread and a detached process printing after its last call, hoping the next
submission's report shows it."""
import os
import sys
import threading
import time


def _print_forever():
    for _ in range(400):
        print("LATE-OUTPUT-FROM-ANOTHER-SUBMISSION", flush=True)
        sys.stderr.write("LATE-OUTPUT-FROM-ANOTHER-SUBMISSION\n")
        time.sleep(0.02)


threading.Thread(target=_print_forever, daemon=True).start()
if os.fork() == 0:
    os.setsid()
    _print_forever()
    os._exit(0)


def first_order_grads(x, y):
    raise NotImplementedError


second_partials = grads_without_zeroing = hessian = hvp = gradient_penalty = first_order_grads
