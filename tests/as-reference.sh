#!/usr/bin/env bash
# Run an exercise's checks (`cargo test -p EXERCISE`) on the reference solutions, as if a
# student had handed them in: the checkout is copied to target/as-reference/EXERCISE/ with
# the solutions over the starters, so the working tree (and its starters) stay as they are.
#
#   tests/as-reference.sh EXERCISE [cargo test arguments]
#   NETLAB_SEED=123 tests/as-reference.sh udp_cs -- client_ignores_stranger
#   for i in $(seq 100); do tests/as-reference.sh tcp_file || break; done
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ex=${1:?usage: tests/as-reference.sh EXERCISE [cargo test arguments]}
shift
[ -d "$root/solutions/$ex" ] || { echo "error: no exercise $ex" >&2; exit 2; }
copy="$root/target/as-reference/$ex"
# Afresh each time (files deleted from the checkout must go), with their times kept, so
# cargo rebuilds only what changed.
rm -rf "$copy/src"
mkdir -p "$copy/src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\0' "$f"; fi; done \
        | tar --null -T - -cf -) \
    | tar -xf - -C "$copy/src"
for solution in "$root/solutions/$ex"/*.rs; do
    cp -p "$solution" "$copy/src/exercises/$ex/src/bin/$(basename "$solution")"
done
cd "$copy/src"
CARGO_TARGET_DIR="$copy/target" exec cargo test -p "$ex" "$@"
