#!/usr/bin/env bash
# Mutation testing: cargo-mutants on the reference solutions, with an exercise's own checks
# as the test suite. Each solution is copied over its starter in a scratch copy of the
# checkout (the checks run the student's binaries), then every mutant of it is built and
# graded. A mutant that survives is a wrong program full marks would be given to, unless
# tests/mutants.md explains why it is not wrong.
#
#   tests/mutants.sh [EXERCISE...]     (default: every exercise; extra cargo-mutants
#                                       options after --, e.g. -- --list)
# Results: target/mutants/<exercise>/mutants.out/{caught,missed,timeout,unviable}.txt
# Needs: cargo install --locked cargo-mutants
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
exercises=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do exercises+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#exercises[@]} -gt 0 ] || exercises=(os_args fs_meta udp_cs tcp_states tcp_trace tcp_file http_get)
command -v cargo-mutants >/dev/null || { echo "error: cargo-mutants is not installed: cargo install --locked cargo-mutants" >&2; exit 2; }

for ex in "${exercises[@]}"; do
    [ -d "$root/solutions/$ex" ] || { echo "error: no exercise $ex" >&2; exit 2; }
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    # The checkout as it is (tracked and new files, not target/), then the solutions over
    # the starters.
    (cd "$root" && git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done \
        | tar --null -T - -cf -) \
        | tar -xf - -C "$work"
    # Copied with a new time: the build cache is kept between runs, and cargo must see
    # that the binaries changed since the last mutant it built.
    for solution in "$root/solutions/$ex"/*.rs; do
        cp "$solution" "$work/exercises/$ex/src/bin/$(basename "$solution")"
    done
    out="$root/target/mutants/$ex"
    mkdir -p "$out"
    started=$SECONDS
    # One build cache per exercise, kept between runs; --in-place because $work is already a copy.
    (cd "$work" && CARGO_TARGET_DIR="$out/build" cargo mutants --in-place \
        --package "$ex" --file "exercises/$ex/src/bin/*.rs" \
        --timeout 60 --output "$out" "$@") || true
    echo "$ex: $((SECONDS - started)) s; missed:"
    cat "$out/mutants.out/missed.txt" 2>/dev/null || true
    rm -rf "$work"
    trap - EXIT
done
