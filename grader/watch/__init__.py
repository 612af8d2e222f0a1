"""`grader check --watch`: one warm grader that checks the student's file again on every save.

The trusted side (pytest, the plugin, the recorded expectations) and the zygote with torch
imported stay alive between saves; each check still runs the student's code in a fresh
process forked from the zygote, so nothing one save's code did is seen by the next.
:mod:`grader.watch.saves` notices a save and waits for it to settle,
:mod:`grader.watch.question_digests` names the questions whose code it changed (checked
first), :mod:`grader.watch.report` renders a check and what changed since the last one, and
:mod:`grader.watch.loop` ties them together behind an event hook that tests drive.
"""

from __future__ import annotations

from grader.watch.loop import Watch, WatchUpdate

__all__ = ["Watch", "WatchUpdate"]
