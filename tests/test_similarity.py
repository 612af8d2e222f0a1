"""`grader similarity`: copies outrank independent work, the stub counts for nothing, clusters
are found, what submissions hold is escaped, and bad input is one line."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from grader.cli import main
from grader.similarity import Settings, Source, compare, fingerprints, kgram_hashes, tokens, winnow
from tests.conftest import ASSIGNMENTS

CORPUS = Path(__file__).resolve().parent / "similarity_corpus"
LABELS = json.loads((CORPUS / "labels.json").read_text())
PRECISION_BAR = 1.0
"""Every copy pair, partial ones included, outranks every pair of independent solutions:
measured 1.00 on both assignments (benchmarks/similarity.py), with the lowest copy at 0.27
and 0.40 against independents at most 0.20 and 0.19. A copy ranked below an independent
pair on this small, labelled set would be a regression worth stopping for."""


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def corpus(assignment: str) -> list[Source]:
    return [Source(p.stem, p.read_text()) for p in sorted((CORPUS / assignment).glob("*.py"))]


def stub(assignment: str) -> str:
    return (ASSIGNMENTS / assignment / f"{assignment}.py").read_text()


def copy_pairs(assignment: str) -> set[tuple[str, str]]:
    labels = LABELS[assignment]
    return {(a, b) for a, b in labels["copies"] + labels["partial_copies"]}


@pytest.mark.parametrize("assignment", ["second_order", "maml"])
def test_copies_outrank_independent_solutions(assignment):
    copies = copy_pairs(assignment)
    report = compare(corpus(assignment), stub(assignment), Settings(keep=1000))
    top = [(p.a, p.b) for p in report.pairs[: len(copies)]]
    assert sum(pair in copies for pair in top) / len(copies) >= PRECISION_BAR
    whole = {(a, b) for a, b in LABELS[assignment]["copies"]}
    assert all(p.score >= report.settings.threshold for p in report.pairs if (p.a, p.b) in whole)
    assert all(p.score < report.settings.threshold for p in report.pairs if (p.a, p.b) not in copies)


@pytest.mark.parametrize("assignment", ["second_order", "maml"])
def test_clusters_are_copies_of_one_original(assignment):
    report = compare(corpus(assignment), stub(assignment))
    copies = copy_pairs(assignment)
    assert report.clusters
    for cluster in report.clusters:  # nothing independent joins a cluster
        assert all(
            (a, b) in copies or (b, a) in copies or _linked(a, b, copies)
            for a in cluster
            for b in cluster
            if a < b
        )
    whole_families = [
        f for f in LABELS[assignment]["clusters"] if not any(name.startswith("partial") for name in f)
    ]
    for family in whole_families:
        assert any(set(family) <= set(cluster) for cluster in report.clusters)
    for pair in report.pairs:
        in_cluster = [c for c in report.clusters if pair.a in c and pair.b in c]
        assert (pair.cluster is not None) == bool(in_cluster)


def _linked(a: str, b: str, copies: set[tuple[str, str]]) -> bool:
    """Whether a chain of copy pairs joins a and b."""
    reached, frontier = {a}, [a]
    while frontier:
        here = frontier.pop()
        for x, y in copies:
            for there in (y,) if x == here else (x,) if y == here else ():
                if there not in reached:
                    reached.add(there)
                    frontier.append(there)
    return b in reached


def test_stub_only_submissions_score_nothing_against_each_other():
    given = stub("maml")
    touched = given.replace("# --- graded functions", "# my work starts here\n# --- graded")
    sources = [Source("a", given), Source("b", touched), Source("c", given + "\n\n")]
    report = compare(sources, given)
    assert all(p.score < 0.05 for p in report.pairs)
    without_stub = compare(sources, None)
    assert min(p.score for p in without_stub.pairs) > 0.9  # what the subtraction removed


def test_renaming_comments_blank_lines_and_literals_do_not_change_the_tokens():
    original = (
        "def f(x, lr=0.1):\n    y = x.detach() * 2\n    return torch.autograd.grad(y, x, create_graph=True)\n"
    )
    disguised = (
        'def f(inp, lr=0.5):\n    """Mine."""\n    # a comment\n\n'
        "    out = inp.detach() * 3  # noted\n"
        "    return torch.autograd.grad(out, inp, create_graph=True)\n"
    )
    assert [t.symbol for t in tokens(original)] == [t.symbol for t in tokens(disguised)]
    symbols = {t.symbol for t in tokens(original)}
    assert {"detach", "grad", "create_graph", "lr"} <= symbols  # the API stays as written
    assert not {"x", "y", "f", "torch"} & symbols


def test_strings_are_one_symbol_on_every_python():
    # Python 3.12 splits f-strings into parts; a report must not change with the Python.
    code = 'def f(a):\n    """doc"""\n    f"x"\n    return f"{a.b} {3:>{a}} x" + "s" f"t" + 1\n'
    assert [t.symbol for t in tokens(code)] == [
        "def",
        "V",
        "(",
        "V",
        ")",
        ":",
        "return",
        "S",
        "+",
        "S",
        "+",
        "N",
    ]


def test_reordered_functions_still_match():
    functions = [
        f"def g{i}(a):\n    b = a.sum(dim={i}) + a.mean() * {i}\n    return b.pow({i}).exp().log()\n"
        for i in range(6)
    ]
    shuffled = functions[:]
    random.Random(0).shuffle(shuffled)
    report = compare(
        [
            Source("a", "\n".join(functions)),
            Source("b", "\n".join(shuffled)),
            Source("c", "def h(q):\n    return q\n"),
        ]
    )
    assert report.pairs[0].a == "a" and report.pairs[0].b == "b" and report.pairs[0].score > 0.9


def test_winnowing_finds_every_run_as_long_as_its_guarantee():
    rng = random.Random(1)
    settings = Settings(k=5, window=4)
    for _ in range(50):
        shared = [rng.choice("abcdefgh") for _ in range(settings.k + settings.window - 1)]
        a = [rng.choice("ijklmnop") for _ in range(rng.randrange(30))] + shared
        b = shared + [rng.choice("qrstuvwx") for _ in range(rng.randrange(30))]
        picked = [
            {h[i] for i in winnow(h, settings.window)}
            for h in (kgram_hashes(a, settings.k), kgram_hashes(b, settings.k))
        ]
        assert picked[0] & picked[1]


def test_hashes_do_not_depend_on_the_process():
    # Python salts str hashes per process; fingerprints must not (a rerun gives one report).
    assert kgram_hashes(["def", "V", "("], 2) == [
        kgram_hashes(["def", "V"], 2)[0],
        kgram_hashes(["V", "("], 2)[0],
    ]
    assert set(fingerprints("x = a.b(c)\n" * 3, Settings(k=2, window=2)).places) == set(
        fingerprints("y = d.b(e)\n" * 3, Settings(k=2, window=2)).places
    )


def test_broken_code_is_compared_as_far_as_it_tokenises():
    assert [t.symbol for t in tokens("x = (1,\n")] == ["V", "=", "(", "N", ","]
    assert tokens("def f(:\n\treturn '") is not None


def test_regions_point_at_lines_of_both_files():
    sources = corpus("second_order")
    report = compare(sources, stub("second_order"))
    texts = {s.id: s.text.split("\n") for s in sources}
    best = report.pairs[0]
    assert best.regions
    for region in best.regions:
        assert 1 <= region.a[0] <= region.a[1] <= len(texts[best.a])
        assert 1 <= region.b[0] <= region.b[1] <= len(texts[best.b])
    covered = sum(r.a[1] - r.a[0] + 1 for r in best.regions)
    assert covered >= 0.5 * len([line for line in texts[best.a] if line.strip()])


def test_the_command_writes_the_json_the_report_reads(capsys, tmp_path):
    code, out, err = run(capsys, "similarity", "maml", CORPUS / "maml", "--out", tmp_path)
    assert code == 0, err
    data = json.loads((tmp_path / "similarity.json").read_text())
    assert data["format"] == 1 and len(data["submissions"]) == len(corpus("maml"))
    best = data["pairs"][0]
    assert {best["a"], best["b"]} <= set(data["files"])
    assert best["suspicious"] and best["score"] >= data["settings"]["threshold"]
    region = best["regions"][0]
    assert region["a_lines"][1] <= len(data["files"][best["a"]])
    assert [c["members"] for c in data["clusters"]] == [
        list(c) for c in compare(corpus("maml"), stub("maml")).clusters
    ]
    assert f"{best['a']}" in out and "cluster 1:" in out


def test_notebooks_zips_and_folders_are_read_as_grading_reads_them(capsys, tmp_path):
    # The untouched notebook is the stub's code: it has nothing of its own to match.
    shutil.copy(ASSIGNMENTS / "maml" / "maml.ipynb", tmp_path / "alice.ipynb")
    shutil.copy(CORPUS / "maml" / "loops.py", tmp_path / "bob.py")
    (tmp_path / "carol").mkdir()
    shutil.copy(CORPUS / "maml" / "copy1_loops.py", tmp_path / "carol" / "maml.py")
    (tmp_path / "dave.txt").write_text("not a submission")
    code, out, err = run(capsys, "similarity", "maml", tmp_path, "--out", tmp_path / "out")
    assert code == 0, err
    data = json.loads((tmp_path / "out" / "similarity.json").read_text())
    pairs = data["pairs"]
    assert (pairs[0]["a"], pairs[0]["b"]) == ("bob", "carol") and pairs[0]["score"] > 0.6
    assert all(p["score"] < 0.05 for p in pairs if "alice" in (p["a"], p["b"]))
    assert "dave: left out: dave.txt: not a supported submission format" in out
    assert [n["id"] for n in data["notes"]] == ["dave"] and "dave" not in data["submissions"]


def test_a_padded_file_is_compared_on_its_head_and_named(capsys, tmp_path, monkeypatch):
    from grader.commands import similarity

    monkeypatch.setattr(similarity, "MAX_SOURCE_CHARACTERS", 3000)
    shutil.copy(CORPUS / "maml" / "loops.py", tmp_path / "bob.py")
    text = (CORPUS / "maml" / "loops.py").read_text()
    (tmp_path / "eve.py").write_text(text + "\n# padding\n" * 10_000)
    code, out, err = run(capsys, "similarity", "maml", tmp_path)
    assert code == 0, err
    assert "eve: compared on its first 3,000 characters of" in out


def test_what_submissions_hold_is_escaped(capsys, tmp_path):
    hostile = "[bold red]x\x1b]52;c;aGk=\x07"
    text = (CORPUS / "maml" / "loops.py").read_text()
    (tmp_path / f"{hostile}.py").write_text(text.replace("import math", "import math  # \x1b[2J"))
    shutil.copy(CORPUS / "maml" / "copy1_loops.py", tmp_path / "bob.py")
    code, out, err = run(capsys, "similarity", "maml", tmp_path, "--out", tmp_path / "out")
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "[bold red]x\\x1b]52;c;aGk=\\x07" in out  # markup shown as text, controls escaped
    raw = (tmp_path / "out" / "similarity.json").read_text()
    data = json.loads(raw)
    assert "\x1b" not in raw and "\\u001b" not in raw
    assert "[bold red]x\\x1b]52;c;aGk=\\x07" in data["files"]
    assert any("\\x1b[2J" in line for line in data["files"]["[bold red]x\\x1b]52;c;aGk=\\x07"])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["maml", "nowhere"], "nowhere: no such file or folder"),
        (["no_such_assignment", "."], "no_such_assignment"),
        (["maml", CORPUS / "maml", "--threshold", "1.5"], "invalid --threshold 1.5"),
        (["maml", CORPUS / "maml", "--top", "0"], "invalid --top 0"),
        (["maml", CORPUS / "maml" / "loops.py"], "give at least two to compare"),
    ],
)
def test_bad_input_is_one_line(capsys, argv, message):
    code, _, err = run(capsys, "similarity", *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("grader: error:") and message in err


def test_an_unwritable_out_is_one_line(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = run(capsys, "similarity", "maml", CORPUS / "maml", "--out", blocker / "out")
    assert code == 2 and err.count("\n") == 1 and "cannot write to" in err


def _block(tag: str, lines: int = 8) -> str:
    """A function of its own: its attribute names survive normalisation, so no two tags match."""
    body = "".join(f"    a = a.{tag}_{j}(a)\n" for j in range(lines))
    return f"def {tag}(a):\n{body}    return a\n\n"


def test_what_much_of_the_class_writes_counts_less_than_what_two_share():
    common, rare = _block("common"), _block("rare")
    sources = [Source(f"s{i}", common + _block(f"own{i}")) for i in range(8)]
    sources += [Source("x", rare + _block("ownx")), Source("y", rare + _block("owny"))]
    scores = {(p.a, p.b): p.score for p in compare(sources, None, Settings(keep=100)).pairs}
    # Both pairs share one function of the same size; only how many others wrote it differs.
    assert scores[("x", "y")] > 1.3 * scores[("s0", "s1")]


def test_help_lists_the_command_and_says_what_it_takes(capsys):
    from grader.commands import similarity

    with pytest.raises(SystemExit):
        main(["--help"])
    assert similarity.HELP in " ".join(capsys.readouterr().out.split())
    with pytest.raises(SystemExit):
        main(["similarity", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "SUBMISSION [SUBMISSION ...]" in text and "similarity.json" in text and "--threshold" in text
