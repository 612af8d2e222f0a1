#!/usr/bin/env bash
# Create the project's virtual environment from nothing.
# torch is installed first, pinned to the CPU build 2.13.0, unless the environment already
# holds a torch the project accepts: an unpinned install would pull a multi-GB CUDA build.
set -euo pipefail
venv="${1:-.venv}"
python="${PYTHON:-python3}"

# The sandbox needs bubblewrap; install it where we can (root with apt), else say so.
if ! command -v bwrap >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null
    else
        echo "bootstrap: bubblewrap is not installed; 'grader grade' will need --no-sandbox" >&2
    fi
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
if "$venv/bin/python" - <<'PY'
import sys
try:
    import torch
except ImportError:
    sys.exit(1)
major, minor = (int(part) for part in torch.__version__.split("+")[0].split(".")[:2])
sys.exit(0 if (major, minor) >= (2, 1) else 1)
PY
then
    echo "bootstrap: keeping the installed torch"
else
    "$venv/bin/python" -m pip install --quiet "torch==2.13.0"
fi
"$venv/bin/python" -m pip install --quiet -e ".[dev]"
