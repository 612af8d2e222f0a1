"""The one place that bounds and neutralises text that came from outside: student code's
replies and output, submission names.

Such text is capped (a student's 4 MB exception name must not become a 177 MB gradebook)
and its control characters are shown as escapes such as ``\\x1b``, so that nothing a student
wrote can drive the instructor's terminal (OSC 52, window titles), break a file format
(XML 1.0 forbids most of C0) or hide text (carriage returns, bidi overrides). The result is
idempotent: bounding bounded text changes nothing, so a result can be saved and loaded again.
Each output format adds its own escaping on top (:func:`for_markdown`, :func:`for_csv`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

NAME = 256
"""Type names, function names, input names: one line's worth."""
MESSAGE = 4096
TRACEBACK = 8192
OUTPUT = 32768
"""Captured output keeps 4 KiB of head and tail bytes; escaped, those may grow."""
ITEMS = 64
"""Entries kept of a list a worker sends (modified inputs, forbidden calls)."""

_MARKER_ROOM = 48
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but tab and newline, DEL, C1 (\x9b is CSI)
    "\ud800-\udfff"  # lone surrogates: not encodable, not XML
    "\ufdd0-\ufdef\ufffe\uffff"  # noncharacters
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi controls: text that reads reordered
    "\u2028\u2029]"
)  # line and paragraph separators
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]|~#])")
_MARKDOWN_LIST = re.compile(r"^(\d*)([-+.)])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_controls(text: str) -> str:
    """Every control character as a visible escape; newlines and tabs kept."""
    return _CONTROLS.sub(_escape_one, text.replace("\r\n", "\n"))


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def bounded(text: str, limit: int) -> str:
    """`text` escaped and at most `limit` characters: its head and tail, and how much went."""
    kept = text if len(text) <= 2 * limit else text[:limit] + text[-limit:]
    escaped = escape_controls(kept)
    if len(escaped) <= limit:
        return escaped
    return _clip(escaped, limit, len(text) - len(kept))


def _clip(text: str, limit: int, already_dropped: int) -> str:
    room = max(limit - _MARKER_ROOM, 2)
    dropped = len(text) - room + already_dropped
    head, tail = room // 2, room - room // 2
    return f"{text[:head]}\n… [{dropped} characters left out] …\n{text[len(text) - tail :]}"


def from_worker(value: Any, limit: int, default: str = "") -> str:
    """A string field of a reply, bounded: scalars as text, anything else `default`."""
    if isinstance(value, str):
        return bounded(value, limit)
    if isinstance(value, (bool, int, float)):
        return bounded(str(value), limit)
    return default


def strings_from_worker(value: Any, limit: int = NAME, items: int = ITEMS) -> list[str]:
    """A list of strings from a reply: at most `items` entries (the last may say how many
    more there were), each bounded."""
    if not isinstance(value, list):
        return []
    kept = [from_worker(v, limit) for v in value[:items]]
    if len(value) > items:
        kept[-1] = f"… and {len(value) - items + 1} more"
    return kept


def for_markdown(text: str) -> str:
    """Plain text inside markdown (and its HTML): no tags, links, code, headings, list items
    or table cells."""
    text = escape_controls(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_LIST.sub(r"\1\\\2", _MARKDOWN_SPECIAL.sub(r"\\\1", text))


def for_csv(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (numbers are not text cells)."""
    text = escape_controls(text)
    return "'" + text if text.startswith(_FORMULA_START) else text


SHOWN_NAMES = 5


def first_names(names: Sequence[str], most: int = SHOWN_NAMES) -> str:
    """The first `most` names, comma-separated, with "…" where more were left out: a one-line
    message names a few ids or files, never a whole class."""
    return ", ".join(names[:most]) + (", …" if len(names) > most else "")
