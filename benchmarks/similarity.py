"""How well, and how fast, `grader similarity` finds copies.

    .venv/bin/python benchmarks/similarity.py [--students 1000] [--skip-scale]

On the labelled corpus (tests/similarity_corpus, built by its make_corpus.py), for each
assignment: precision among the top k pairs, k being the number of true copy pairs (whole
and partial copies), the lowest score of a copy pair against the highest of an independent
pair, the clusters found; then the same with the stub not subtracted and with every
fingerprint weighted alike, to show what each does, and a sweep of k-gram and window sizes;
then tests/submissions taken as a class (its mistaken files are variants of correct ones).
Then the time to compare a synthetic class of N submissions (each a corpus file with
functions grafted from another and disguised at random): in process, and end to end through
`grader similarity` on files on disk. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Set as AbstractSet
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.similarity import (
    Settings,
    Source,
    compare,
    fingerprints,
    handout_hashes,  # noqa: E402
    pair_scores,
    weights,
)
from tests.similarity_corpus.make_corpus import INDEPENDENT, TRANSFORMS, graft  # noqa: E402

CORPUS = ROOT / "tests" / "similarity_corpus"
ASSIGNMENTS = ROOT / "assignments"
GRADER = str(Path(sys.executable).parent / "grader")


def corpus(assignment: str) -> list[Source]:
    return [Source(p.stem, p.read_text()) for p in sorted((CORPUS / assignment).glob("*.py"))]


def stub(assignment: str) -> str:
    return (ASSIGNMENTS / assignment / f"{assignment}.py").read_text()


def ranked(
    sources: list[Source], handout: str | None, settings: Settings, weighted: bool = True
) -> list[tuple[float, str, str]]:
    """Every pair's score, best first; `weighted=False` weighs every fingerprint alike."""
    hashes = handout_hashes(handout, settings)
    prints = [fingerprints(s.text, settings, hashes) for s in sources]
    weight = weights(prints, len(sources))
    if not weighted:
        weight = dict.fromkeys(weight, 1.0)
    keys = [frozenset(p.places) for p in prints]
    totals = [sum(weight[d] for d in key) for key in keys]
    scores = {(sources[i].id, sources[j].id): score for score, i, j, _ in pair_scores(keys, totals, weight)}
    names = [s.id for s in sources]
    every = [(scores.get((a, b), 0.0), a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    return sorted(every, key=lambda item: (-item[0], item[1], item[2]))


def figures(
    pairs: list[tuple[float, str, str]],
    copies: set[tuple[str, str]],
    left_out: AbstractSet[tuple[str, str]] = frozenset(),
) -> str:
    """Precision among the top k, with the pairs in `left_out` taken out of the ranking."""
    pairs = [pair for pair in pairs if (pair[1], pair[2]) not in left_out]
    k = len(copies)
    hits = sum((a, b) in copies for _, a, b in pairs[:k])
    lowest_copy = min(score for score, a, b in pairs if (a, b) in copies)
    best_other = max(score for score, a, b in pairs if (a, b) not in copies)
    return (
        f"precision@{k} {hits / k:.2f}   lowest copy {lowest_copy:.3f}   highest independent {best_other:.3f}"
    )


def labelled(assignment: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]], list[list[str]]]:
    labels = json.loads((CORPUS / "labels.json").read_text())[assignment]
    whole = {(a, b) for a, b in labels["copies"]}
    partial = {(a, b) for a, b in labels["partial_copies"]}
    return whole, partial, labels["clusters"]


def quality() -> None:
    settings = Settings()
    for assignment in INDEPENDENT:
        sources = corpus(assignment)
        whole, partial, clusters = labelled(assignment)
        print(
            f"{assignment}: {len(sources)} files, {len(whole)} whole-file copy pairs, "
            f"{len(partial)} partial copy pairs"
        )
        pairs = ranked(sources, stub(assignment), settings)
        print(f"  grader similarity          {figures(pairs, whole | partial)}")
        print(f"    whole-file copies only   {figures(pairs, whole, left_out=partial)}")
        report = compare(sources, stub(assignment), settings)
        print(
            f"    clusters at {settings.threshold}: {[list(c) for c in report.clusters]} "
            f"(labelled: {clusters})"
        )
        without_stub = ranked(sources, None, settings)
        print(f"  stub not subtracted        {figures(without_stub, whole | partial)}")
        alike = ranked(sources, stub(assignment), settings, weighted=False)
        print(f"  every fingerprint alike    {figures(alike, whole | partial)}")
    print(
        "k-gram and window sizes (both assignments: worst precision, smallest margin between "
        "the lowest copy and the highest independent pair):"
    )
    for k in (6, 9, 12, 16, 20):
        for window in (3, 6, 10):
            worst, margin = 1.0, 1.0
            for assignment in INDEPENDENT:
                whole, partial, _ = labelled(assignment)
                copies = whole | partial
                pairs = ranked(corpus(assignment), stub(assignment), Settings(k=k, window=window))
                hits = sum((a, b) in copies for _, a, b in pairs[: len(copies)])
                worst = min(worst, hits / len(copies))
                margin = min(
                    margin,
                    min(s for s, a, b in pairs if (a, b) in copies)
                    - max(s for s, a, b in pairs if (a, b) not in copies),
                )
            mark = "  (default)" if (k, window) == (Settings.k, Settings.window) else ""
            print(f"  k={k:2d} w={window:2d}: precision {worst:.2f}, margin {margin:+.3f}{mark}")


def test_submissions() -> None:
    """tests/submissions as a class: its mistaken submissions are each a correct one with a
    line or two changed, so they are one family, not independent work (the corpus takes one
    file of each family)."""
    for assignment in INDEPENDENT:
        paths = sorted((ROOT / "tests" / "submissions" / assignment).glob("*.py"))
        report = compare([Source(p.stem, p.read_text()) for p in paths], stub(assignment))
        print(
            f"tests/submissions/{assignment}: {len(paths)} files, {report.suspicious_total} "
            f"suspicious pairs, clusters of {[len(c) for c in report.clusters]}: "
            f"{[list(c) for c in report.clusters]}"
        )


def synthetic_class(assignment: str, count: int, seed: int = 0) -> list[Source]:
    """`count` submissions: each a corpus original with two functions grafted from another
    original, then two to four disguises chosen at random."""
    originals = [path.read_text() for path in INDEPENDENT[assignment].values()]
    graded = [
        node.name
        for node in ast.parse(stub(assignment)).body
        if isinstance(node, ast.FunctionDef) and "NotImplementedError" in ast.unparse(node)
    ]
    rng = random.Random(seed)
    sources = []
    for number in range(count):
        base, donor = rng.sample(originals, 2)
        try:
            text = graft(base, donor, tuple(rng.sample(graded, 2)))
        except KeyError:  # a function the donor does not define on its own
            text = base
        for name in rng.sample(sorted(TRANSFORMS), rng.randint(2, 4)):
            text = TRANSFORMS[name](text, rng)
        sources.append(Source(f"student{number:04d}", text))
    return sources


def scale(count: int) -> None:
    for assignment in INDEPENDENT:
        sources = synthetic_class(assignment, count)
        lines = sum(s.text.count("\n") for s in sources)
        started = time.perf_counter()
        report = compare(sources, stub(assignment))
        seconds = time.perf_counter() - started
        print(
            f"{assignment}: {count} synthetic submissions ({lines} lines): compare() "
            f"{seconds:.1f} s, {len(report.pairs)} pairs reported"
        )
        with tempfile.TemporaryDirectory() as folder:
            for source in sources:
                (Path(folder) / f"{source.id}.py").write_text(source.text)
            started = time.perf_counter()
            done = subprocess.run(
                [GRADER, "similarity", assignment, folder, "--out", folder], capture_output=True, text=True
            )
            seconds = time.perf_counter() - started
            if done.returncode != 0:
                raise SystemExit(f"grader similarity failed: {done.stderr[-2000:]}")
        print(f"  `grader similarity {assignment} FOLDER --out FOLDER` end to end: {seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--skip-scale", action="store_true")
    options = parser.parse_args()
    quality()
    test_submissions()
    if not options.skip_scale:
        scale(options.students)


if __name__ == "__main__":
    main()
