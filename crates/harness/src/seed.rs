//! Inputs a student cannot memorise, yet can replay: every check draws its file names,
//! sizes and payloads from a generator seeded per run. The seed comes from `NETLAB_SEED`
//! when set, so a failure's `NETLAB_SEED=<seed> cargo test -p <ex> -- <check>` draws the
//! very same inputs again; otherwise it is new each run.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

/// The variable that fixes the seed.
pub const VAR: &str = "NETLAB_SEED";

/// This run's seed: `NETLAB_SEED` if it holds a number, else a fresh one (std's
/// randomly keyed hasher is the only entropy std offers, and it is enough here).
pub fn run_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| from_env().unwrap_or_else(fresh))
}

/// The seed `NETLAB_SEED` names, if it is set to a number.
pub fn from_env() -> Option<u64> {
    std::env::var(VAR).ok()?.trim().parse().ok()
}

/// A new seed, as a run without `NETLAB_SEED` draws (grade's watch mode draws one when
/// the student asks for new inputs).
pub fn fresh() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    // Six digits are easy to read and type, and still a million runs apart.
    hasher.finish() % 1_000_000
}

/// The generator of one check: the same seed and check name always give the same
/// sequence, whichever other checks run, in whatever order.
pub fn for_check(seed: u64, check: &str) -> fastrand::Rng {
    // FNV-1a: stable across Rust versions and platforms, unlike std's hashers.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in check.bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    fastrand::Rng::with_seed(seed ^ hash)
}

/// How to draw the same inputs again: `N (replay: NETLAB_SEED=N cargo test -p ...)`.
pub fn replay(seed: u64, exercise: &str, check: &str) -> String {
    format!("{seed} (replay: {VAR}={seed} cargo test -p {exercise} -- {check} --exact)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_check_same_draws() {
        let a: Vec<u32> = (0..4).map(|_| for_check(7, "x").u32(..)).collect();
        let b: Vec<u32> = (0..4).map(|_| for_check(7, "x").u32(..)).collect();
        assert_eq!(a, b);
        assert_ne!(for_check(7, "x").u64(..), for_check(7, "y").u64(..));
        assert_ne!(for_check(7, "x").u64(..), for_check(8, "x").u64(..));
    }
}
