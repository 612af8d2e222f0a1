"""The seeds of a test's random inputs: the same at every re-grade, different for every student.

Random inputs are drawn on the trusted side from a seed of (assignment, test, submission).
Without a key (`grader check`, `grader record`) a seed is a digest anyone can compute, and the
public tests share one, so their recorded expectations hold for everyone. In `grader grade`
every seed is an HMAC keyed with a secret only the reference folder gives: nobody can compute
their inputs from the public code and their own id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace

GLOBAL_DRAWS = "global draws"
"""The purpose of the seed each test's global generators start from (never its inputs')."""

TEST_DRAWS = "the test's own draws"
"""The purpose of the seed the test's own global draws start from, in the trusted process:
never the one student code is seeded with (and reads back), so a test may keep what it drew."""


def seed_for(
    assignment: str,
    nodeid: str,
    submission_id: str | None,
    *,
    key: bytes | None = None,
    purpose: str = "inputs",
) -> int:
    """A test's seed, the same at every re-grade. Without a key (`grader check`, `record`):
    one for everyone in public tests (no submission id), each submission's own in hidden ones.
    With the grader's secret key (`grader grade`): an HMAC, which nobody without the key can
    compute from the public code and their own id."""
    who = "public" if submission_id is None else submission_id
    if key is not None:
        text = json.dumps([assignment, nodeid, who, purpose])
        digest = hmac.new(key, text.encode(), hashlib.sha256).digest()
    else:
        text = f"{assignment}/{nodeid}/{who}" + ("" if purpose == "inputs" else f"/{purpose}")
        digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:6], "big")


def salted(key: bytes, salt: str) -> bytes:
    """Another key made from `key` and `salt`: every seed it gives is another draw."""
    return key if not salt else hashlib.sha256(key + b"/salt/" + salt.encode()).digest()


@dataclass(frozen=True)
class Seeds:
    """Every seed the tests of one assignment may ask for, in one grading session."""

    assignment: str
    key: bytes | None = None
    """`grader grade`'s secret; None elsewhere, where every seed is public."""

    def salted(self, salt: str) -> Seeds:
        """These seeds with the key salted: other inputs for the same tests (with no key,
        the public seeds, unchanged)."""
        return self if not salt or self.key is None else replace(self, key=salted(self.key, salt))

    def per_submission(self, nodeid: str, submission_id: str, *, hidden: bool, purpose: str) -> int:
        """A seed for one submission: keyed, its own, in `grader grade`; elsewhere the public
        tests' shared one (their recorded expectations were made with it), each submission's
        own in a hidden test."""
        if self.key is not None:
            return seed_for(self.assignment, nodeid, submission_id, key=self.key, purpose=purpose)
        return seed_for(self.assignment, nodeid, submission_id if hidden else None, purpose=purpose)

    def shared(self, nodeid: str, purpose: str) -> int:
        """One seed for every submission, keyed in `grader grade` (public elsewhere)."""
        return seed_for(self.assignment, nodeid, None, key=self.key, purpose=purpose)

    def published(self, nodeid: str, purpose: str = "inputs") -> int:
        """The public tests' shared seed, in every mode."""
        return seed_for(self.assignment, nodeid, None, purpose=purpose)
