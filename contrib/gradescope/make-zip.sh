#!/usr/bin/env bash
# Make the zip Gradescope's "Configure Autograder" page takes: setup.sh and
# run_autograder at its root, and the checkout this script is in, in netlab/: its
# tracked files as committed when it is a git repository of its own, else every file
# but target/ (a copy, an exported class edition).
# Usage: contrib/gradescope/make-zip.sh [OUT.zip]   (default: netlab-autograder.zip)
set -euo pipefail
out=$(realpath -m "${1:-netlab-autograder.zip}")
root=$(cd "$(dirname "$0")/../.." && pwd -P)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$root/contrib/gradescope/setup.sh" "$root/contrib/gradescope/run_autograder" "$stage/"
# Only the repository's own top: a copy inside another repository's folder (a test's
# copy under target/) is not that repository, and must be archived as it is.
if [ "$(git -C "$root" rev-parse --show-toplevel 2>/dev/null)" = "$root" ]; then
    git -C "$root" archive --format=tar --prefix=netlab/ HEAD | tar -x -C "$stage"
else
    mkdir "$stage/netlab"
    tar -C "$root" --exclude=./target --exclude=./.git -cf - . | tar -x -C "$stage/netlab"
fi
mkdir -p "$(dirname "$out")"
rm -f "$out"
(cd "$stage" && zip -qr "$out" .)
echo "wrote $out"
