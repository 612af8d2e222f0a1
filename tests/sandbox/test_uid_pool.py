"""Sandbox uids are leased one per submission, never the same to two holders on one host."""

from __future__ import annotations

import multiprocessing
import os

from grader.sandbox import uid_pool
from grader.sandbox.uid_pool import lease_uid


def _hold_and_report(locks, started, release, queue):
    with lease_uid(locks) as uid:
        queue.put(uid)
        started.set()
        release.wait(30)


def test_two_holders_on_one_host_get_different_uids(tmp_path, monkeypatch):
    """One lease held by another process (another batch, another shard) is never handed out,
    even when only two uids exist to choose from."""
    monkeypatch.setattr(uid_pool, "COUNT", 2)
    context = multiprocessing.get_context("fork")
    started, release, queue = context.Event(), context.Event(), context.Queue()
    other = context.Process(target=_hold_and_report, args=(tmp_path, started, release, queue))
    other.start()
    try:
        assert started.wait(30)
        held_elsewhere = queue.get(timeout=5)
        mine = []
        for _ in range(20):
            with lease_uid(tmp_path) as uid:
                mine.append(uid)
        assert held_elsewhere not in mine and len(set(mine)) == 1
    finally:
        release.set()
        other.join(10)


def test_a_lease_ends_with_its_block_and_nested_leases_differ(tmp_path):
    with lease_uid(tmp_path) as first, lease_uid(tmp_path) as second:
        assert first != second
    assert sorted(p.name for p in tmp_path.iterdir())  # lock files stay; locks do not
    fd = os.open(tmp_path / f"{first}.lock", os.O_RDWR)
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again: no BlockingIOError
    os.close(fd)
