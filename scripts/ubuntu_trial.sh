#!/usr/bin/env bash
# Try a Gradescope zip on Ubuntu 22.04, Gradescope's base image, without Docker: a jammy root
# made by debootstrap, the zip at the real path /autograder inside it, setup.sh run as
# Gradescope runs it at build time, then run_autograder on each submission as root with
# Docker's default capabilities. Prints each submission's score, output and wall time.
#
#   sudo scripts/ubuntu_trial.sh hw.zip SUBMISSION.py... [--root DIR]
#
# Needs root, debootstrap and the Ubuntu archive. The root (default /var/tmp/grader-jammy)
# is kept for the next run. Where pip reaches the package index through a proxy with its own
# certificate authority, or torch's index is out of reach, pass PIP_CERT and PIP_FIND_LINKS:
# they are handed to setup.sh (and the folders they name bound into the root).
set -euo pipefail
root=/var/tmp/grader-jammy
submissions=()
while [ $# -gt 0 ]; do
    case "$1" in
        --root) root="$2"; shift 2 ;;
        *) submissions+=("$(realpath "$1")"); shift ;;
    esac
done
[ ${#submissions[@]} -ge 2 ] || { echo "usage: $0 hw.zip SUBMISSION.py... [--root DIR]" >&2; exit 2; }
zip="${submissions[0]}"; submissions=("${submissions[@]:1}")
docker_caps=-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,+setpcap
docker_caps+=,+net_bind_service,+net_raw,+sys_chroot,+mknod,+audit_write,+setfcap
plain=(env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8)

if [ ! -x "$root/usr/bin/python3" ]; then
    debootstrap --variant=minbase --components=main,universe jammy "$root" http://archive.ubuntu.com/ubuntu
    for suite in jammy jammy-updates jammy-security; do
        echo "deb http://archive.ubuntu.com/ubuntu $suite main restricted universe multiverse"
    done > "$root/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mounted=()
bind() { mkdir -p "$root$2"; mount "${@:3}" "$1" "$root$2"; mounted=("$root$2" "${mounted[@]}"); }
cleanup() { for path in "${mounted[@]}"; do umount -l "$path" || true; done; }
trap cleanup EXIT
bind proc /proc -t proc
bind /sys /sys --rbind
bind /dev /dev --rbind
passed=("${plain[@]}")
if [ -n "${PIP_CERT:-}" ]; then
    cp "$PIP_CERT" "$root/root/pip-ca.crt"
    passed+=(PIP_CERT=/root/pip-ca.crt)
fi
if [ -n "${PIP_FIND_LINKS:-}" ]; then
    bind "$PIP_FIND_LINKS" /opt/find-links --bind
    passed+=(PIP_FIND_LINKS=/opt/find-links)
fi
chroot "$root" "${plain[@]}" DEBIAN_FRONTEND=noninteractive sh -c \
    'apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 ca-certificates' >/dev/null

rm -rf "$root/autograder"
mkdir -p "$root/autograder/source"
(cd "$root/autograder/source" && python3 -m zipfile -e "$zip" .)
cp "$root/autograder/source/run_autograder" "$root/autograder/run_autograder"
chmod 755 "$root/autograder/run_autograder" "$root/autograder/source/setup.sh"
echo "== setup.sh (Ubuntu 22.04, $(chroot "$root" python3 --version))"
chroot "$root" "${passed[@]}" bash /autograder/source/setup.sh

for submission in "${submissions[@]}"; do
    rm -rf "$root/autograder/submission" "$root/autograder/results"
    mkdir -p "$root/autograder/submission"
    cp "$submission" "$root/autograder/submission/"
    printf '{"id": 1, "created_at": "2026-12-01T12:00:00.000000-08:00", "assignment": {"due_date": "2100-01-01T23:59:00.000000-08:00", "title": "trial"}, "users": [{"id": 4242, "email": "student@example.edu", "name": "Student"}], "previous_submissions": []}\n' \
        > "$root/autograder/submission_metadata.json"
    started=$(date +%s%N)
    chroot "$root" "${plain[@]}" setpriv --bounding-set="$docker_caps" --inh-caps=-all -- \
        /autograder/run_autograder > "$root/autograder/run.log" 2>&1 || true
    seconds=$(( ($(date +%s%N) - started) / 10000000 ))
    echo "== $(basename "$submission"): run_autograder $((seconds / 100)).$(printf %02d $((seconds % 100))) s"
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print("score", d["score"]); print(d["output"])' \
        "$root/autograder/results/results.json"
done
