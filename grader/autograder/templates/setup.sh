#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (with internet).
# It installs a Python the grader supports beside the system's (never replacing it), a
# virtual environment under /autograder with the pinned dependencies (torch's CPU build),
# and this exact grader from the wheel in the zip; then it grades the reference once.
# Any step that fails ends the build with one line saying which.
#
# For a local trial only: GRADER_SETUP_REUSE=DIR makes the environment see the packages in
# DIR (an installed torch) and forbids pip any download.
set -u
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
LOG="$ROOT/setup.log"
: > "$LOG"

fail() { echo "setup failed: $1" >&2; exit 1; }
step() {  # step "what it does" command...: its output goes to the log; failing, one line
    local what="$1"; shift
    echo "== $what" >> "$LOG"
    if ! "$@" >> "$LOG" 2>&1; then
        fail "$what ($(grep -v '^\s*$' "$LOG" | tail -n 1 | cut -c1-200); see $LOG)"
    fi
}

supported() {  # a Python >= 3.11 with venv, that an unprivileged uid can run
    "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null &&
        setpriv --reuid=65534 --regid=65534 --clear-groups "$1" -c 'import venv' 2>/dev/null
}
find_python() {
    for candidate in ${GRADER_PYTHON:-} /usr/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.11 \
                     /usr/bin/python3 python3.13 python3.12 python3.11 python3; do
        path="$(command -v "$candidate" 2>/dev/null)" || continue
        if supported "$path"; then echo "$path"; return 0; fi
    done
    return 1
}
install_python() {  # Ubuntu 22.04's python3 is 3.10: add 3.11 beside it
    export DEBIAN_FRONTEND=noninteractive
    apt-get update && apt-get install -y --no-install-recommends python3.11 python3.11-venv && return 0
    apt-get install -y --no-install-recommends software-properties-common &&
        add-apt-repository -y ppa:deadsnakes/ppa && apt-get update &&
        apt-get install -y --no-install-recommends python3.11 python3.11-venv
}

PYTHON="$(find_python)" || { step "install Python 3.11 beside the system's" install_python; PYTHON="$(find_python)"; } ||
    fail "no Python 3.11 or newer that an unprivileged user can run"
echo "Python: $PYTHON" >> "$LOG"

VENV="$ROOT/venv"
if [ -n "${GRADER_SETUP_REUSE:-}" ]; then  # pip, setuptools and the rest come from there
    step "create the virtual environment $VENV" "$PYTHON" -m venv --clear --without-pip "$VENV"
else
    step "create the virtual environment $VENV" "$PYTHON" -m venv --clear "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check --no-input --no-deps)
if [ -n "${GRADER_SETUP_REUSE:-}" ]; then
    SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    echo "$GRADER_SETUP_REUSE" > "$SITE/grader-reuse.pth"
    PIP+=(--no-index)
fi
TORCH="$(grep -i '^torch==' "$SOURCE/requirements.txt")" || fail "requirements.txt pins no torch"
step "install $TORCH (CPU build)" "${PIP[@]}" --index-url https://download.pytorch.org/whl/cpu "$TORCH"
step "install the pinned dependencies" "${PIP[@]}" -r "$SOURCE/requirements.txt"
step "install the grader from its wheel" "${PIP[@]}" "$SOURCE"/wheels/*.whl

PUBLIC="$ROOT/public"
rm -rf "$PUBLIC" && mkdir -p "$PUBLIC" || fail "cannot create $PUBLIC"
cp -R "$SOURCE/course/assignments/." "$PUBLIC/" || fail "cannot copy the public assignment"
mkdir -p "$ROOT/results" || fail "cannot create $ROOT/results"
chmod -R u=rwX,go=rX "$PUBLIC" "$VENV" && chmod 711 "$ROOT" && chmod 700 "$SOURCE" "$ROOT/results" ||
    fail "cannot set who may read what under $ROOT"

step "check the environment: torch, the grader, confinement, the reference graded once" \
    env AUTOGRADER_ROOT="$ROOT" "$VENV/bin/python" -I -m grader.autograder.selfcheck
echo "setup done: $(tail -n 1 "$LOG")"
