"""Build the labelled corpus that `grader similarity` is measured on; run it again to rebuild.

    python tests/similarity_corpus/make_corpus.py

Independent work: the correct submissions of tests/submissions that are not variants of one
another (each mistaken submission there is a correct one with a line changed, so only one
of each family is taken), and correct solutions in originals/, written apart from them in
other styles. Copies: each derived from one independent file by the disguises a copier uses
(rename, reorder, comments, dead code, literals), seeded so the output never changes.
Partial copies: one file with some functions taken from another, then disguised. Two files
are a copy pair when both hold code derived from one original ("partial_copies" when one of
them holds only part of it). Writes <assignment>/<id>.py and labels.json; both are checked in.
"""

from __future__ import annotations

import ast
import io
import json
import random
import re
import tokenize
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE.parent / "submissions"
ORIGINALS = HERE / "originals"

INDEPENDENT = {
    "second_order": {
        "compact": SUBMISSIONS / "second_order" / "correct_compact.py",
        "backward": SUBMISSIONS / "second_order" / "correct_backward_style.py",
        "idioms": SUBMISSIONS / "second_order" / "correct_many_idioms.py",
        "torchfunc": SUBMISSIONS / "second_order" / "correct_uses_torch_func_elsewhere.py",
        "verbose": ORIGINALS / "second_order_verbose.py",
        "helpers": ORIGINALS / "second_order_helpers.py",
    },
    "maml": {
        "loops": SUBMISSIONS / "maml" / "correct_loop_style.py",
        "functional": SUBMISSIONS / "maml" / "correct_functional_style.py",
        "while": ORIGINALS / "maml_while_loops.py",
        "comprehensions": ORIGINALS / "maml_comprehensions.py",
    },
}

ALL = ("rename", "reorder", "comments", "dead_code", "literals")
COPIES = {
    "second_order": [
        ("compact", "copy1_compact", ("rename",)),
        ("backward", "copy2_backward", ("reorder", "comments")),
        ("verbose", "copy3_verbose", ALL),
        ("helpers", "copy4_helpers", ("rename", "dead_code", "literals")),
        ("idioms", "copy5_idioms", ("rename", "reorder")),
        ("idioms", "copy6_idioms", ("comments", "dead_code", "literals")),
    ],
    "maml": [
        ("loops", "copy1_loops", ALL),
        ("functional", "copy2_functional", ("rename", "reorder")),
        ("while", "copy3_while", ("rename", "comments", "dead_code")),
        ("while", "copy4_while", ALL),
        ("comprehensions", "copy5_comprehensions", ("dead_code", "literals", "reorder")),
    ],
}

PARTIAL = {
    "second_order": [("verbose", "torchfunc", ("hessian", "hvp"), "partial1_verbose_torchfunc",
                      ("rename", "comments"))],
    "maml": [("loops", "functional", ("inner_update", "adapt"), "partial2_loops_functional",
              ("rename", "reorder"))],
}
"""(base, donor, functions taken from the donor, name, disguises): part of a file copied."""

WORDS = ["alpha", "beta", "tmp", "val", "res", "arr", "buf", "thing", "item", "acc", "cur",
         "out", "data", "node", "elem", "vec", "mat", "obj", "piece", "part", "foo", "bar"]
COMMENTS = ["# compute it", "# main step here", "# TODO tidy", "# this part was tricky",
            "# see lecture 4", "# works now", "# helper", "# loop over everything"]
DEAD_CODE = ["if False:\n    print({n})", "for _ in range(0):\n    pass",
             "assert {n} >= 0", "_ = [{n}, {n} + 1]", "if {n} < 0:\n    raise ValueError('no')"]


def rename(text: str, rng: random.Random) -> str:
    """Give every local variable a new name; the graded API (functions, their parameters and
    anything passed by keyword) keeps its names, as the tests need them."""
    tree = ast.parse(text)
    fixed = {n.arg for n in ast.walk(tree) if isinstance(n, ast.keyword) and n.arg}
    fixed |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")}
    fixed |= {t.id for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for n in c.body
              for t in ast.walk(n) if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)}
    fixed |= {arg.arg for n in tree.body if isinstance(n, ast.FunctionDef)
              and not n.name.startswith("_") for arg in _arguments(n)}
    local = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    local |= {arg.arg for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))
              for arg in _arguments(n)}
    local |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("_")}
    top = {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
           if isinstance(t, ast.Name)}
    taken = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | fixed
    mapping = {}
    for name in sorted(local - fixed - top - {"_"}):
        new = f"{rng.choice(WORDS)}_{rng.randrange(100)}"
        while new in taken:
            new = f"{rng.choice(WORDS)}_{rng.randrange(1000)}"
        taken.add(new)
        mapping[name] = new
    return _replace_tokens(text, lambda tok, prev: mapping.get(tok.string, tok.string)
                           if tok.type == tokenize.NAME and prev != "." else tok.string)


def _arguments(node: ast.FunctionDef | ast.Lambda) -> list[ast.arg]:
    args = node.args
    return [*args.posonlyargs, *args.args, *args.kwonlyargs,
            *([args.vararg] if args.vararg else []), *([args.kwarg] if args.kwarg else [])]


def _replace_tokens(text: str, change) -> str:
    """Rewrite token strings in place (each on its own line and columns, as long as they grow
    only within a line)."""
    lines = text.splitlines(keepends=True)
    edits = []
    previous = ""
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        new = change(token, previous)
        if new != token.string:
            edits.append((token.start, token.end, new))
        if token.type not in (tokenize.NL, tokenize.COMMENT):
            previous = token.string
    for (row, col), (end_row, end_col), new in reversed(edits):
        assert row == end_row, "only single-line tokens are rewritten"
        line = lines[row - 1]
        lines[row - 1] = line[:col] + new + line[end_col:]
    return "".join(lines)


def reorder(text: str, rng: random.Random) -> str:
    """Shuffle each run of consecutive top-level functions (with the comments above each)."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    body = tree.body
    decorators = {d.id for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                  for d in n.decorator_list if isinstance(d, ast.Name)}
    out: list[str] = []
    cursor = 0
    index = 0
    while index < len(body):
        if not isinstance(body[index], ast.FunctionDef):
            index += 1
            continue
        run = []
        while index < len(body) and isinstance(body[index], ast.FunctionDef):
            run.append(body[index])
            index += 1
        start = _first_line(run[0]) - 1
        out += lines[cursor:start]
        chunks, begin = [], start
        for node in run:
            chunks.append((node.name, "".join(lines[begin:node.end_lineno]).strip("\n") + "\n"))
            begin = node.end_lineno
        rng.shuffle(chunks)
        chunks.sort(key=lambda chunk: chunk[0] not in decorators)  # defined before use
        out.append("\n\n".join(text for _, text in chunks))
        cursor = run[-1].end_lineno
    out += lines[cursor:]
    return "".join(out)


def graft(base: str, donor: str, names: tuple[str, ...]) -> str:
    """`base` with the named top-level functions replaced by the donor's."""
    def spans(text: str) -> dict[str, tuple[int, int]]:
        return {n.name: (_first_line(n), n.end_lineno) for n in ast.parse(text).body
                if isinstance(n, ast.FunctionDef)}

    lines, donor_lines = base.splitlines(keepends=True), donor.splitlines(keepends=True)
    theirs = spans(donor)
    for name, (start, end) in sorted(spans(base).items(), key=lambda item: -item[1][0]):
        if name in names:
            first, last = theirs[name]
            lines[start - 1:end] = donor_lines[first - 1:last]
    return "".join(lines)


def _first_line(node: ast.FunctionDef) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def comments(text: str, rng: random.Random) -> str:
    """Drop every comment, rewrite every docstring, and add comments of the copier's own."""
    def change(token, previous):
        if token.type == tokenize.COMMENT:
            return ""
        return token.string

    text = _replace_tokens(text, change)
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    for node in sorted(_docstrings(tree), key=lambda n: -n.lineno):
        indent = " " * node.col_offset
        lines[node.lineno - 1:node.end_lineno] = [f'{indent}"""{rng.choice(COMMENTS)[2:]}."""\n']
    statements = [n for f in ast.walk(ast.parse("".join(lines))) if isinstance(f, ast.FunctionDef)
                  for n in f.body]
    for node in sorted(rng.sample(statements, min(4, len(statements))), key=lambda n: -n.lineno):
        lines.insert(node.lineno - 1, " " * node.col_offset + rng.choice(COMMENTS) + "\n")
    return re.sub(r"[ \t]+\n", "\n", "".join(lines))


def _docstrings(tree: ast.Module) -> list[ast.Constant]:
    holders = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef)))]
    return [h.body[0].value for h in holders if h.body and isinstance(h.body[0], ast.Expr)
            and isinstance(h.body[0].value, ast.Constant) and isinstance(h.body[0].value.value, str)]


def dead_code(text: str, rng: random.Random) -> str:
    """Insert statements that do nothing, each before a statement of some function."""
    lines = text.splitlines(keepends=True)
    statements = [n for f in ast.walk(ast.parse(text)) if isinstance(f, ast.FunctionDef)
                  for n in f.body[1:]]
    for node in sorted(rng.sample(statements, min(3, len(statements))), key=lambda n: -n.lineno):
        snippet = rng.choice(DEAD_CODE).format(n=rng.randrange(1, 9))
        indent = " " * node.col_offset
        lines.insert(node.lineno - 1, "".join(indent + line + "\n" for line in snippet.split("\n")))
    return "".join(lines)


def literals(text: str, rng: random.Random) -> str:
    """Spell numbers differently: floats in another notation, powers as floats."""
    def change(token, previous):
        if token.type != tokenize.NUMBER:
            return token.string
        if "." in token.string and "e" not in token.string.lower():
            return f"{float(token.string):e}".replace("e+00", "")
        if previous == "**" and token.string.isdigit():
            return token.string + ".0"
        return token.string

    return _replace_tokens(text, change)


TRANSFORMS = {"rename": rename, "reorder": reorder, "comments": comments,
              "dead_code": dead_code, "literals": literals}


def build() -> dict[str, object]:
    labels: dict[str, object] = {}
    for assignment, independent in INDEPENDENT.items():
        folder = HERE / assignment
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.py"):
            old.unlink()
        for name, path in independent.items():
            (folder / f"{name}.py").write_text(path.read_text())
        families: dict[str, list[str]] = {name: [name] for name in independent}
        for seed, (source, name, transforms) in enumerate(COPIES[assignment]):
            rng = random.Random(f"{assignment}/{name}/{seed}")
            text = (folder / f"{source}.py").read_text()
            for transform in transforms:
                text = TRANSFORMS[transform](text, rng)
            ast.parse(text)  # still Python
            (folder / f"{name}.py").write_text(text)
            families[source].append(name)
        partial_files = set()
        for seed, (base, donor, names, name, transforms) in enumerate(PARTIAL[assignment]):
            rng = random.Random(f"{assignment}/{name}/partial{seed}")
            text = graft((folder / f"{base}.py").read_text(), (folder / f"{donor}.py").read_text(),
                         names)
            for transform in transforms:
                text = TRANSFORMS[transform](text, rng)
            ast.parse(text)
            (folder / f"{name}.py").write_text(text)
            families[base].append(name)
            families[donor].append(name)
            partial_files.add(name)
        pairs = {tuple(sorted([a, b])) for family in families.values()
                 for i, a in enumerate(family) for b in family[i + 1:]}
        labels[assignment] = {
            "independent": sorted(independent),
            "copies": sorted(list(p) for p in pairs if not partial_files & set(p)),
            "partial_copies": sorted(list(p) for p in pairs if partial_files & set(p)),
            "clusters": [sorted(f) for f in families.values() if len(f) >= 3]}
    (HERE / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
    return labels


if __name__ == "__main__":
    result = build()
    for assignment, label in result.items():
        print(f"{assignment}: {len(label['independent'])} independent, "
              f"{len(label['copies'])} copy pairs, {len(label['partial_copies'])} partial, "
              f"{len(label['clusters'])} cluster(s)")
