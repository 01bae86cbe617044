#!/usr/bin/env bash
# Gradescope runs this once, as root on its Ubuntu image, when it builds the autograder.
# The autograder zip holds this file, run_autograder, and a netlab checkout in netlab/
# (make it with contrib/gradescope/make-zip.sh, or by hand: see book/src/instructors.md).
set -euo pipefail

apt-get update
apt-get install -y --no-install-recommends ca-certificates curl build-essential
# Rust through rustup: distributions ship compilers older than netlab's edition 2024.
curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
source "$HOME/.cargo/env"

cd /autograder/source/netlab
cargo build --release -p grade
# A health check that also warms the scratch builds: the reference scores full marks.
./target/release/grade --reference
