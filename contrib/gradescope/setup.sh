#!/usr/bin/env bash
# Gradescope runs this once, as root on its Ubuntu image, when it builds the
# autograder. The autograder zip holds this file, run_autograder, and a netlab
# checkout in netlab/ (make it with contrib/gradescope/make-zip.sh, or by hand: see
# book/src/instructors.md).
#
# AUTOGRADER_ROOT  Gradescope's root (default /autograder; a test sets another)
# NETLAB_CHECKOUT  the netlab checkout (default $AUTOGRADER_ROOT/source/netlab)
# NETLAB_GRADE     a grade binary already built: nothing is installed or built
# GRADE_OPTIONS    more options for the health check, e.g. "--exercise udp_cs"
set -euo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
checkout=${NETLAB_CHECKOUT:-$root/source/netlab}

if [ -z "${NETLAB_GRADE:-}" ]; then
    apt-get update
    apt-get install -y --no-install-recommends ca-certificates curl build-essential
    # Rust through rustup: distributions ship compilers older than edition 2024.
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
        | sh -s -- -y --profile minimal
    source "$HOME/.cargo/env"
    (cd "$checkout" && cargo build --release -p grade)
fi
grade=${NETLAB_GRADE:-$checkout/target/release/grade}
cd "$checkout"
# A health check that also warms the scratch builds: the reference scores full
# marks, or grade exits 1 and the image build fails.
# shellcheck disable=SC2086 # GRADE_OPTIONS is a list of options
"$grade" --reference ${GRADE_OPTIONS:-}
