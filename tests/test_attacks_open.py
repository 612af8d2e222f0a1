"""Attacks that still earn points, kept as strict expected failures: each passes the day the
hole is closed, and the mark must then go.

- hostile_precomputed_meta_train: meta_train is graded on what it achieves (the held-out loss
  after one adaptation step), from a published starting point, on a public task
  distribution. Parameters trained offline, anywhere, and returned as constants earn its
  points. Closing it needs a test of how the result was reached (for example the reference's
  meta_train from the same starting point and draws, within a tolerance), a change to what
  meta_train is graded on; see the report of this attack.
"""

from __future__ import annotations

import pytest

from grader.submission import Submission
from tests.conftest import SUBMISSIONS
from tests.test_isolation import question_scores, sandboxed_grader

pytestmark = pytest.mark.slow


@pytest.mark.xfail(strict=True, reason="meta_train is graded on its outcome alone: constants "
                   "trained offline earn its points")
def test_constants_trained_offline_earn_nothing_for_meta_train():
    with sandboxed_grader("maml") as grader:
        result, _ = grader.grade(Submission.at(
            SUBMISSIONS / "hostile_precomputed_meta_train" / "maml.py"))
    assert question_scores(result)["meta_train"] == 0
