"""Attack (closed): a correct second_order.py with this line appended, 300,000 adjacent
string literals (valid Python, about 900 KB, under the similarity command's 1 MB cap).
Looking ahead from each literal to the end of its run, to tell documentation from code, took
time quadratic in the run: half an hour for this one file, for the whole class's comparison.
The test writes the file from this one (a megabyte is not checked in)."""

LITERALS = 300_000


def padded(source: str) -> str:
    return source + "\n_PAD = (" + " ''" * LITERALS + ")\n"
