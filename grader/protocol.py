"""Kept for assignment tests released before the move to :mod:`grader.wire.protocol`."""

from grader.wire.protocol import *  # noqa: F401,F403
from grader.wire.protocol import Fn, Seed  # noqa: F401 - what released tests import
