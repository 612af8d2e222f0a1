"""Student code gets small pages, whatever the warm zygote it was forked from uses."""

import subprocess
import sys
from pathlib import Path

import pytest

from grader.worker.memory import WORKER_MALLOC

CHILD = """
from grader.worker.memory import small_pages_from_now_on
import os
small_pages_from_now_on()
pid = os.fork()  # inherited by every process student code starts
if pid == 0:
    print(open("/proc/self/status").read().split("THP_enabled:")[1].split()[0], flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""


@pytest.mark.skipif(
    "THP_enabled" not in Path("/proc/self/status").read_text(),
    reason="this kernel does not report THP_enabled",
)
def test_small_pages_hold_in_every_process_started_after():
    env = {**WORKER_MALLOC, "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "0"
