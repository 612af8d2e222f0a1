"""An assignment's late policy, per-student extensions, and when each submission came in.

The policy is the `[late]` table of assignment.toml:

    [late]
    deadline = 2026-12-04T23:59:00-05:00   # ISO 8601 with its offset (a TOML date-time or a string)
    per_day = 10                           # points off per day, or part of a day, late
    cap = 30                               # at most this many points off (optional: no cap)
    grace_minutes = 15                     # this late still counts as on time (optional: 0)

The penalty is in points, not a share of the score, so that two students equally late lose
the same amount whatever they earned, and the figure in every output can be checked by hand.
Days are counted from the deadline (a student's own, with an extension): exactly at it is on
time, one second after it is one day late. The grace period forgives, it does not move the
deadline: a submission past the grace period is counted late from the deadline itself.

Extensions are a CSV `id,extra_days` (a number, fractions allowed): that student's deadline
is the assignment's plus those days, so moving the deadline moves every extension with it.
Submission times come from a CSV `id,submitted_at` (ISO 8601 with offset), or from a
Gradescope export's `submission_metadata.yml`; Canvas's download names carry no time.
"""

from __future__ import annotations

import csv
import datetime
import math
import re
from dataclasses import dataclass
from pathlib import Path

from grader.errors import ConfigError, GraderError

DAY = 86400.0
POLICY_KEYS = {"deadline", "per_day", "cap", "grace_minutes"}
GRADESCOPE_METADATA = "submission_metadata.yml"
_GRADESCOPE_ENTRY = re.compile(r"^(?P<id>[^\s:#'\"][^:]*):\s*$")
_GRADESCOPE_TIME = re.compile(r"^  :created_at:\s*(?P<time>.+?)\s*$")


@dataclass(frozen=True)
class LatePenalty:
    """Points taken off a late submission's total, and the sentence that says why."""

    seconds_late: float
    points: float
    explanation: str


@dataclass(frozen=True)
class LatePolicy:
    """The deadline, the points off per day or part of a day late, their cap, the grace."""

    deadline: datetime.datetime
    per_day: float
    cap: float | None = None
    grace: datetime.timedelta = datetime.timedelta(0)

    def penalty(self, submitted_at: datetime.datetime, extra_days: float = 0.0) -> LatePenalty | None:
        """What a submission at `submitted_at` loses; None when it came in on time."""
        deadline = self.deadline + datetime.timedelta(days=extra_days)
        seconds_late = (submitted_at - deadline).total_seconds()
        if seconds_late <= 0:
            return None
        due = f"due {deadline.isoformat()}" + (f", with {extra_days:g} extra day(s)" if extra_days else "")
        late = f"submitted {_duration(seconds_late)} late ({due})"
        if seconds_late <= self.grace.total_seconds():
            return LatePenalty(seconds_late, 0.0, f"{late}: within the grace period, no penalty")
        days = math.ceil(seconds_late / DAY)
        points = days * self.per_day
        how = f"{days} day(s) x {self.per_day:g} points"
        if self.cap is not None and points > self.cap:
            points, how = self.cap, f"{how}, capped at {self.cap:g}"
        return LatePenalty(seconds_late, round(points, 6), f"{late}: {how}")


def _duration(seconds: float) -> str:
    whole = math.ceil(seconds)
    days, rest = divmod(whole, int(DAY))
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{days} day(s) {clock}" if days else clock


def policy_from_table(table: object, where: Path) -> LatePolicy:
    """The `[late]` table of assignment.toml, or a ConfigError naming what to fix."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [late] must be a table with deadline and per_day")
    unknown = sorted(set(table) - POLICY_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: [late] has {', '.join(unknown)}: use only {', '.join(sorted(POLICY_KEYS))}"
        )
    if "deadline" not in table or "per_day" not in table:
        raise ConfigError(f"{where}: [late] needs deadline and per_day")
    deadline = table["deadline"]
    if isinstance(deadline, str):
        deadline = parse_instant(deadline, f"late.deadline in {where}")
    if not isinstance(deadline, datetime.datetime) or deadline.tzinfo is None:
        raise ConfigError(
            f"{where}: late.deadline must be a date and time with its offset, e.g. 2026-12-04T23:59:00-05:00"
        )
    cap = table.get("cap")
    return LatePolicy(
        deadline=deadline,
        per_day=_number(table["per_day"], "late.per_day", where),
        cap=None if cap is None else _number(cap, "late.cap", where),
        grace=datetime.timedelta(minutes=_number(table.get("grace_minutes", 0), "late.grace_minutes", where)),
    )


def _number(value: object, key: str, where: Path) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value < 0
        or math.isinf(value)
        or math.isnan(value)
    ):
        raise ConfigError(f"{where}: {key} must be a number >= 0, not {value!r}")
    return float(value)


def parse_instant(text: str, where: str) -> datetime.datetime:
    """An ISO 8601 date and time with its offset (`Z` for UTC), or a one-line error."""
    try:
        instant = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise GraderError(
            f"{where}: {text!r} is not an ISO 8601 date and time: write e.g. 2026-12-04T23:59:00-05:00"
        ) from None
    if instant.tzinfo is None:
        raise GraderError(f"{where}: {text!r} has no offset: add one, e.g. -05:00 or Z")
    return instant


def read_submission_times(path: Path) -> dict[str, datetime.datetime]:
    """A CSV `id,submitted_at`: when each submission came in."""
    return {key: parse_instant(value, where) for key, value, where in _rows(path, ("id", "submitted_at"))}


def read_extensions(path: Path) -> dict[str, float]:
    """A CSV `id,extra_days`: the days added to each student's deadline."""
    extensions = {}
    for key, value, where in _rows(path, ("id", "extra_days")):
        try:
            days = float(value)
        except ValueError:
            days = -1.0
        if not days >= 0 or math.isinf(days):
            raise GraderError(f"{where}: extra_days {value!r} must be a number of days >= 0")
        extensions[key] = days
    return extensions


def _rows(path: Path, header: tuple[str, str]) -> list[tuple[str, str, str]]:
    """(id, value, where) of each row of a two-column CSV with that header; ids unique."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GraderError(
            f"cannot read {path} ({exc}): give a UTF-8 CSV with the header {','.join(header)}"
        ) from None
    rows = list(csv.reader(lines))
    if not rows or tuple(cell.strip().lower() for cell in rows[0]) != header:
        raise GraderError(f"{path}: the first line must be the header {','.join(header)}")
    found: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}, line {number}"
        if len(row) != 2 or not row[0].strip():
            raise GraderError(f"{where}: write two cells, {','.join(header)}")
        key = row[0].strip()
        if key in seen:
            raise GraderError(f"{where}: {key!r} is listed twice: keep one line per id")
        seen.add(key)
        found.append((key, row[1].strip(), where))
    return found


def gradescope_times(folder: Path) -> dict[str, datetime.datetime]:
    """When each submission of a Gradescope export came in, from its submission_metadata.yml
    (`submission_NNN:` entries with `:created_at:`); empty where the folder has none.

    Read line by line rather than as YAML: only those two keys matter, and the rest of the
    file (a Ruby-flavoured dump of every result) needs no parser the grader does not have.
    """
    path = folder / GRADESCOPE_METADATA
    if not path.is_file():
        return {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise GraderError(
            f"cannot read {path} ({exc}): export it from Gradescope again, or "
            "give the times with --submitted-at FILE"
        ) from None
    times: dict[str, datetime.datetime] = {}
    current = None
    for number, line in enumerate(lines, start=1):
        if entry := _GRADESCOPE_ENTRY.match(line):
            current = entry.group("id").strip()
        elif current is not None and (created := _GRADESCOPE_TIME.match(line)):
            times[current] = parse_instant(created.group("time").strip("'\""), f"{path}, line {number}")
    return times
