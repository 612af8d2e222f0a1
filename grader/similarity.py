"""Pairs of submissions whose code is unusually alike: winnowed fingerprints, as MOSS does.

Each submission is tokenised with Python's own `tokenize` and normalised so that what a
copier changes cheaply stops mattering: every user-chosen name becomes one symbol, every
number and string another; comments, docstrings, blank lines and indentation are dropped.
What a copier cannot change without changing the program stays as written: keywords,
operators, builtins (`range`, `zip`), attribute names (`.detach`, `.requires_grad_`: the
library's API) and keyword-argument names (`create_graph=`). Hashes of every k tokens in a
row are winnowed (Schleimer, Wilkerson and Aiken, 2003): the smallest hash of each window
of w k-grams is kept, which guarantees that any k + w - 1 tokens shared by two submissions
are found, in whatever order their functions stand. Fingerprints found anywhere in the stub
are the handout, not the student's work, and are dropped. The rest are weighted by how rare
they are in the class, so that idioms every correct solution writes count little and a run
of code only two students share counts much.

Written here rather than taken from a library: MOSS is a web service (student code would
leave the instructor's machine) that drops passages found in more than m files but counts
the rest alike; copydetect, the maintained Python implementation of winnowing, counts every
fingerprint alike and tokenises with pygments. Weighting by class frequency is what keeps
independent correct solutions apart, and the whole method is a few hundred lines over the
standard library, with no new dependency.
"""

from __future__ import annotations

import builtins
import io
import keyword
import math
import tokenize
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from grader.untrusted_text import NAME, bounded, escape_controls

IDENTIFIER = "V"
NUMBER = "N"
STRING = "S"
SKIPPED = frozenset(
    {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENCODING,
        tokenize.ENDMARKER,
    }
)
STATEMENT_START = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT})
STRING_OPENERS = frozenset(
    getattr(tokenize, name) for name in ("FSTRING_START", "TSTRING_START") if hasattr(tokenize, name)
)
STRING_CLOSERS = frozenset(
    getattr(tokenize, name) for name in ("FSTRING_END", "TSTRING_END") if hasattr(tokenize, name)
)
KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
"""Names kept as written: the language's and its builtins', which a copier leaves alone."""
_MODULUS = (1 << 61) - 1
_BASE = 1_000_003
MAX_OCCURRENCES = 8
"""Places one fingerprint is remembered at in one file: enough to draw its regions."""
OPEN_RUNS = 32
"""Runs a match may extend: the recent ones, so drawing regions stays linear in the file."""


@dataclass(frozen=True)
class Settings:
    """How fingerprints are taken and which pairs are reported.

    k = 12 tokens is about one line of code: shorter runs (`x = x.detach()`) are what any two
    solutions share; w = 6 makes any 17 shared tokens certain to be found. On the labelled
    corpus (benchmarks/similarity.py) k of 6 ranks an independent pair above a copy and k of
    9 to 20 does not. The threshold, 0.4, is twice the highest score of two independent
    solutions there (0.20) and below every whole-file copy (0.68 at the lowest); a third of
    a file copied scores 0.27 to 0.42. A pair scoring at least `threshold` is suspicious
    (linked into clusters); `keep` pairs beyond those are reported anyway, best first, so the
    instructor sees where the class ends; at most `limit` pairs are reported with their
    regions (every suspicious pair still links its cluster).
    """

    k: int = 12
    window: int = 6
    threshold: float = 0.4
    keep: int = 50
    limit: int = 1000

    def __post_init__(self) -> None:
        if self.k < 1 or self.window < 1:
            raise ValueError("k and window must be at least 1")


@dataclass(frozen=True)
class Source:
    """One submission's id and the text of its module."""

    id: str
    text: str


@dataclass(frozen=True)
class Token:
    symbol: str
    line: int


@dataclass
class Fingerprints:
    """A file's kept fingerprints: each hash with the line ranges it covers there."""

    places: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def add(self, digest: int, lines: tuple[int, int]) -> None:
        seen = self.places.setdefault(digest, [])
        if len(seen) < MAX_OCCURRENCES and lines not in seen:
            seen.append(lines)


@dataclass(frozen=True)
class Region:
    """Lines `a` of the first submission match lines `b` of the second (1-based, inclusive)."""

    a: tuple[int, int]
    b: tuple[int, int]


@dataclass(frozen=True)
class Pair:
    """Two submissions, how alike they are, and where."""

    a: str
    b: str
    score: float
    a_share: float
    b_share: float
    regions: tuple[Region, ...]
    cluster: int | None = None


@dataclass(frozen=True)
class Report:
    """The pairs worth showing (best first), clusters of three or more, and the texts shown."""

    settings: Settings
    submissions: tuple[str, ...]
    pairs: tuple[Pair, ...]
    clusters: tuple[tuple[str, ...], ...]
    texts: dict[str, str]
    suspicious_total: int = 0

    def suspicious(self) -> list[Pair]:
        return [p for p in self.pairs if p.score >= self.settings.threshold]

    def to_dict(self) -> dict[str, object]:
        """Plain data for similarity.json; every string from a submission has its control
        characters escaped (ids bounded), line by line so that line numbers still hold.

        pairs, best first: a, b (ids), score (weighted Dice, 0 to 1), a_share and b_share
        (the part of each file's weight that the other shares), suspicious (score at least
        the threshold), cluster (its number, or null), regions: [{a_lines: [first, last],
        b_lines: [first, last]}], 1-based and inclusive, in the lines of `files`. clusters:
        [{id, members}]. files: each id in a pair, as the list of its module's lines (for a
        notebook, its code cells joined as grading runs them). HTML still needs escaping.
        """
        return {
            "format": 1,
            "settings": {
                "k": self.settings.k,
                "window": self.settings.window,
                "threshold": self.settings.threshold,
            },
            "submissions": [bounded(s, NAME) for s in self.submissions],
            "suspicious_pairs": self.suspicious_total,
            "pairs": [
                {
                    "a": bounded(p.a, NAME),
                    "b": bounded(p.b, NAME),
                    "score": round(p.score, 4),
                    "a_share": round(p.a_share, 4),
                    "b_share": round(p.b_share, 4),
                    "cluster": p.cluster,
                    "suspicious": p.score >= self.settings.threshold,
                    "regions": [{"a_lines": list(r.a), "b_lines": list(r.b)} for r in p.regions],
                }
                for p in self.pairs
            ],
            "clusters": [
                {"id": number, "members": [bounded(m, NAME) for m in members]}
                for number, members in enumerate(self.clusters, 1)
            ],
            "files": {
                bounded(name, NAME): [escape_controls(line) for line in text.split("\n")]
                for name, text in sorted(self.texts.items())
            },
        }


def tokens(text: str) -> list[Token]:
    """The normalised tokens of Python source, each with its line; text that does not
    tokenise to the end gives the tokens before the error (student code may be broken)."""
    raw = list(_raw_tokens(text))
    run_ends = _string_run_ends(raw)
    kept: list[Token] = []
    depth = 0
    for index, token in enumerate(raw):
        kind, string = token.type, token.string
        if kind == tokenize.OP:
            depth += (string in "([{") - (string in ")]}")
            kept.append(Token(string, token.start[0]))
        elif kind == tokenize.STRING:
            if _is_docstring(raw, index, run_ends[index]) or (
                kept and kept[-1].symbol == STRING and raw[index - 1].type == tokenize.STRING
            ):
                continue
            kept.append(Token(STRING, token.start[0]))
        elif kind == tokenize.NUMBER:
            kept.append(Token(NUMBER, token.start[0]))
        elif kind == tokenize.NAME:
            kept.append(Token(_name(raw, index, depth), token.start[0]))
    return kept


def _raw_tokens(text: str) -> Iterator[tokenize.TokenInfo]:
    """The tokens that matter, each f-string as one STRING token: Python 3.12 and later split
    f-strings into parts, and a report must not change with the Python that made it."""
    nested, opened = 0, None
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in STRING_OPENERS:
                nested, opened = nested + 1, opened if nested else token
            elif token.type in STRING_CLOSERS and nested:
                nested -= 1
                if not nested and opened is not None:
                    yield opened._replace(type=tokenize.STRING, string="''", end=token.end)
            elif not nested and (token.type not in SKIPPED or token.type in STATEMENT_START):
                yield token
    except (tokenize.TokenError, SyntaxError):
        return


def _string_run_ends(raw: list[tokenize.TokenInfo]) -> list[int]:
    """For each token, the index of the first token at or after it that is not a string.

    Found in one pass from the end: looking ahead from each string of a run of adjacent
    literals took time quadratic in the run (300,000 of them, one line of a 1 MB file, held
    the comparison of the whole class for half an hour)."""
    ends = [0] * len(raw)
    after = len(raw)
    for index in range(len(raw) - 1, -1, -1):
        if raw[index].type != tokenize.STRING:
            after = index
        ends[index] = after
    return ends


def _is_docstring(raw: list[tokenize.TokenInfo], index: int, after: int) -> bool:
    """A string that is a statement on its own (`after`: the first token past its run of
    adjacent literals): documentation, whatever it says."""
    before = raw[index - 1].type if index else tokenize.NEWLINE
    return before in STATEMENT_START and (after == len(raw) or raw[after].type == tokenize.NEWLINE)


def _name(raw: list[tokenize.TokenInfo], index: int, depth: int) -> str:
    string = raw[index].string
    if string in KEPT_NAMES:
        return string
    if index and raw[index - 1].string == "." and raw[index - 1].type == tokenize.OP:
        return string  # an attribute: the library's API more often than the student's
    following = raw[index + 1] if index + 1 < len(raw) else None
    if depth > 0 and following is not None and following.string == "=":
        return string  # a keyword argument's name: fixed by the function called
    return IDENTIFIER


def kgram_hashes(symbols: Sequence[str], k: int) -> list[int]:
    """A rolling hash of every k symbols in a row; stable across runs (no salted hash())."""
    if len(symbols) < k:
        return []
    codes = [zlib.crc32(s.encode("utf-8")) for s in symbols]
    top = pow(_BASE, k - 1, _MODULUS)
    value = 0
    for code in codes[:k]:
        value = (value * _BASE + code) % _MODULUS
    hashes = [value]
    for leaving, entering in zip(codes, codes[k:], strict=False):  # k fewer entering
        value = ((value - leaving * top) * _BASE + entering) % _MODULUS
        hashes.append(value)
    return hashes


def winnow(hashes: Sequence[int], window: int) -> list[int]:
    """Positions of the fingerprints: the rightmost smallest hash of each window, each once."""
    if not hashes:
        return []
    if len(hashes) <= window:
        return [_rightmost_minimum(hashes, 0, len(hashes))]
    chosen: list[int] = []
    for start in range(len(hashes) - window + 1):
        position = _rightmost_minimum(hashes, start, start + window)
        if not chosen or chosen[-1] != position:
            chosen.append(position)
    return chosen


def _rightmost_minimum(hashes: Sequence[int], start: int, stop: int) -> int:
    best = start
    for position in range(start + 1, stop):
        if hashes[position] <= hashes[best]:
            best = position
    return best


def fingerprints(text: str, settings: Settings, handout: frozenset[int] = frozenset()) -> Fingerprints:
    """The winnowed fingerprints of one file, less any found in the handout."""
    found = tokens(text)
    hashes = kgram_hashes([t.symbol for t in found], settings.k)
    result = Fingerprints()
    for position in winnow(hashes, settings.window):
        digest = hashes[position]
        if digest not in handout:
            result.add(digest, (found[position].line, found[position + settings.k - 1].line))
    return result


def handout_hashes(stub: str | None, settings: Settings) -> frozenset[int]:
    """Every k-gram of the stub (not only its winnowed ones): nothing it gives counts."""
    if not stub:
        return frozenset()
    return frozenset(kgram_hashes([t.symbol for t in tokens(stub)], settings.k))


def weights(prints: Iterable[Fingerprints], count: int) -> dict[int, float]:
    """How much each fingerprint says: log(1 + N / df), so a run of code two students share
    weighs about log(N / 2) and one that half the class writes about log 3."""
    frequency: dict[int, int] = {}
    for one in prints:
        for digest in one.places:
            frequency[digest] = frequency.get(digest, 0) + 1
    return {digest: math.log1p(count / df) for digest, df in frequency.items()}


def compare(sources: Sequence[Source], stub: str | None = None, settings: Settings = Settings()) -> Report:
    """Score every pair of submissions; report the suspicious ones and the best `keep`."""
    handout = handout_hashes(stub, settings)
    prints = [fingerprints(s.text, settings, handout) for s in sources]
    weight = weights(prints, len(sources))
    keys = [frozenset(p.places) for p in prints]
    totals = [sum(weight[d] for d in key) for key in keys]
    scored = sorted(
        pair_scores(keys, totals, weight),
        key=lambda item: (-item[0], sources[item[1]].id, sources[item[2]].id),
    )
    links = [(sources[i].id, sources[j].id) for score, i, j, _ in scored if score >= settings.threshold]
    groups = clusters(links)
    cluster_of = {member: number for number, group in enumerate(groups, 1) for member in group}
    pairs = []
    for rank, (score, i, j, overlap) in enumerate(scored[: settings.limit]):
        if rank >= settings.keep and score < settings.threshold:
            break
        a, b = sources[i].id, sources[j].id
        cluster = cluster_of.get(a) if cluster_of.get(a) == cluster_of.get(b) else None
        pairs.append(
            Pair(
                a,
                b,
                score,
                overlap / totals[i],
                overlap / totals[j],
                regions(prints[i], prints[j], keys[i] & keys[j]),
                cluster,
            )
        )
    named = {p.a for p in pairs} | {p.b for p in pairs}
    return Report(
        settings,
        tuple(s.id for s in sources),
        tuple(pairs),
        tuple(groups),
        {s.id: s.text for s in sources if s.id in named},
        suspicious_total=len(links),
    )


def pair_scores(
    keys: Sequence[frozenset[int]], totals: Sequence[float], weight: dict[int, float]
) -> Iterator[tuple[float, int, int, float]]:
    """(score, i, j, shared weight) of every pair sharing a fingerprint. The score is the
    weighted Dice coefficient, 2 |A & B| / (|A| + |B|): symmetric, 1 for identical work, and
    a short file inside a long one scores low (a few common lines are not a copied file)."""
    for i, key in enumerate(keys):
        for j in range(i + 1, len(keys)):
            shared = key & keys[j]
            if shared:
                overlap = sum(map(weight.__getitem__, shared))
                yield 2 * overlap / (totals[i] + totals[j]), i, j, overlap


def regions(a: Fingerprints, b: Fingerprints, shared: Iterable[int]) -> tuple[Region, ...]:
    """Where the two files match: shared fingerprints chained into runs that go on in both
    files, largest first; a run whose lines on both sides lie inside larger runs (the same
    idiom matched at another of its places) is left out. A run moves forward in both files,
    so a function moved elsewhere is a run of its own. Sorted by their lines in `a`."""
    matches = sorted(
        (place_a, place_b)
        for digest in shared
        for place_a in a.places[digest]
        for place_b in b.places[digest]
    )
    runs: list[list[int]] = []
    for (a_start, a_end), (b_start, b_end) in matches:
        for run in reversed(runs[-OPEN_RUNS:]):  # [a lines, b lines, last match's b start]
            if a_start <= run[1] + 1 and run[4] <= b_start <= run[3] + 1:
                run[1], run[3], run[4] = max(run[1], a_end), max(run[3], b_end), b_start
                break
        else:
            runs.append([a_start, a_end, b_start, b_end, b_start])
    kept: list[Region] = []
    covered_a: set[int] = set()
    covered_b: set[int] = set()
    for run in sorted(runs, key=lambda r: (r[0] - r[1] + r[2] - r[3], r)):  # largest first
        lines_a, lines_b = set(range(run[0], run[1] + 1)), set(range(run[2], run[3] + 1))
        if lines_a <= covered_a and lines_b <= covered_b:
            continue
        covered_a |= lines_a
        covered_b |= lines_b
        kept.append(Region((run[0], run[1]), (run[2], run[3])))
    return tuple(sorted(kept, key=lambda r: (r.a, r.b)))


def clusters(links: Iterable[tuple[str, str]]) -> list[tuple[str, ...]]:
    """Connected components of three or more submissions, largest first."""
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        parent.setdefault(item, item)
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for item in parent:
        groups.setdefault(root(item), []).append(item)
    found = [tuple(sorted(group)) for group in groups.values() if len(group) >= 3]
    return sorted(found, key=lambda group: (-len(group), group))
