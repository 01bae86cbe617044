#!/usr/bin/env bash
# Make the zip Gradescope's "Configure Autograder" page takes: setup.sh and
# run_autograder at its root, and this checkout (tracked files only) in netlab/.
# Usage: contrib/gradescope/make-zip.sh [OUT.zip]   (default: netlab-autograder.zip)
set -euo pipefail
out=$(realpath -m "${1:-netlab-autograder.zip}")
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$root/contrib/gradescope/setup.sh" "$root/contrib/gradescope/run_autograder" "$stage/"
git -C "$root" archive --format=tar --prefix=netlab/ HEAD | tar -x -C "$stage"
mkdir -p "$(dirname "$out")"
rm -f "$out"
(cd "$stage" && zip -qr "$out" .)
echo "wrote $out"
