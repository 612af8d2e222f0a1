#!/usr/bin/env bash
# Grade the bundled example submissions with the reference and show what each user sees.
set -euo pipefail
venv="${1:-.venv}"
grader="$venv/bin/grader"
sandbox=()
if ! command -v bwrap >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    echo "demo: no sandbox here (needs root and bubblewrap); grading with --no-sandbox"
    sandbox=(--no-sandbox)
fi
rm -rf demo-out
echo "== grader grade: three example submissions, public and hidden tests =="
"$grader" grade second_order examples/second_order --out demo-out "${sandbox[@]}"
for student in alice bob carol; do
    echo
    echo "== grader show demo-out $student =="
    "$grader" show demo-out "$student"
done
echo
echo "== the gradebook (demo-out/gradebook.csv) =="
cat demo-out/gradebook.csv
echo
echo "== grader similarity: pairs of submissions that look copied =="
"$grader" similarity second_order examples/second_order --out demo-out
"$grader" report demo-out
echo
echo "The class report, with charts and the similarity section: open demo-out/report.html"
