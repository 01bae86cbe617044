#!/usr/bin/env bash
# Flakiness under load: an exercise's checks on the reference solutions RUNS times
# (default 100), each run with a seed of its own, while two busy loops keep both cores
# of a two-core machine taken. Every run must pass: a check that fails on a correct
# program when the machine is slow would fail a student who did nothing wrong.
#
#   tests/stress.sh EXERCISE [RUNS]
#   tests/stress.sh udp_cs 100 && tests/stress.sh tcp_file 100
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ex=${1:?usage: tests/stress.sh EXERCISE [RUNS]}
runs=${2:-100}
log=$(mktemp)
busy=()
trap 'kill "${busy[@]}" 2>/dev/null; rm -f "$log"' EXIT
# Built once before the load starts: the runs time the checks, not the compiler.
"$root/tests/as-reference.sh" "$ex" --no-run -q >"$log" 2>&1 || { cat "$log"; exit 2; }
for _ in 1 2; do
    (while :; do :; done) &
    busy+=($!)
done
failed=0
started=$SECONDS
for i in $(seq "$runs"); do
    seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    if ! NETLAB_SEED=$seed "$root/tests/as-reference.sh" "$ex" -q >"$log" 2>&1; then
        failed=$((failed + 1))
        echo "run $i (NETLAB_SEED=$seed) failed:"
        grep -v '^$' "$log" | tail -25
    fi
done
echo "$ex: $failed of $runs runs failed under two busy loops ($((SECONDS - started)) s)"
[ "$failed" -eq 0 ]
