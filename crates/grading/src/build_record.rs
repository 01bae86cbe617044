//! What the last build of a scratch workspace came to, kept beside it: when the very same
//! files are built again, by the same executable (whose walls the build ran in), the same
//! toolchain and limits, the outcome is read back instead of starting cargo again. A warm
//! run of the workspace's tests builds some 140 fixtures whose files did not change, and
//! cargo's own no-op costs about 40 ms of CPU each, the walls' namespaces more; the
//! fixtures that must not compile were compiled again every run.
//!
//! Only the compiler's verdicts are kept: a build stopped by a limit or the timeout (which
//! a busy machine can cause) is run again next time.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// The record's file, in the build's target folder (in a scratch workspace, the only
/// folder the laying of files leaves alone).
const FILE: &str = "netlab-build.json";

/// What decides the outcome of a build of the checkout at `root`: its files, cargo's
/// arguments, the limits it runs under, and the builder ([`builder`]). A different key is
/// a new build.
pub fn key(
    root: &Path,
    files: &BTreeMap<PathBuf, Vec<u8>>,
    args: &[OsString],
    limits: &str,
) -> String {
    let mut hasher = DefaultHasher::new();
    files.hash(&mut hasher);
    args.hash(&mut hasher);
    limits.hash(&mut hasher);
    builder(root).hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// What a build of the checkout's own packages reads besides the registry: `paths` (files
/// or folders, target/ folders left out) and the settings cargo takes from the
/// environment (`CARGO_*`, `RUSTFLAGS`...), as a key's files.
pub fn checkout_inputs(root: &Path, paths: &[PathBuf]) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending: Vec<PathBuf> = paths.to_vec();
    while let Some(relative) = pending.pop() {
        let full = root.join(&relative);
        match fs::symlink_metadata(&full) {
            Ok(meta) if meta.is_dir() => {
                for entry in fs::read_dir(&full).into_iter().flatten().flatten() {
                    if entry.file_name() != "target" {
                        pending.push(relative.join(entry.file_name()));
                    }
                }
            }
            Ok(_) => {
                files.insert(relative, fs::read(&full).unwrap_or_default());
            }
            Err(_) => {}
        }
    }
    for (name, value) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("CARGO") || name.starts_with("RUST") {
            let value = value.to_string_lossy().into_owned().into_bytes();
            files.insert(Path::new("$env").join(name), value);
        }
    }
    files
}

/// The builder's side of the key: this executable (the walls are its code) and the
/// checkout's toolchain, each as the file system has them now (a rebuilt grade, a rustup
/// update), and the sandbox's mode.
fn builder(root: &Path) -> String {
    let stamp = |path: &Path| {
        fs::metadata(path).map_or_else(
            |_| format!("{} missing", path.display()),
            |meta| {
                use std::os::unix::fs::MetadataExt;
                format!(
                    "{} {} {} {}.{}",
                    path.display(),
                    meta.ino(),
                    meta.len(),
                    meta.mtime(),
                    meta.mtime_nsec()
                )
            },
        )
    };
    let exe = std::env::current_exe().map_or_else(|_| "no executable".into(), |e| stamp(&e));
    let rustc = crate::build_walls::toolchain(root).map_or_else(
        |_| "no toolchain found".into(),
        |t| stamp(&t.sysroot.join("bin/rustc")),
    );
    format!("{exe}\n{rustc}\n{}", harness::sandbox::mode())
}

/// A program that did not compile: its first compiler error and the whole log.
pub type Failures = BTreeMap<String, (String, String)>;

/// The programs that did not compile, when `target` last held the build of the files
/// `key` stands for and every program that did compile is still in `bin_dir`.
pub fn read(target: &Path, key: &str, bins: &[&str], bin_dir: &Path) -> Option<Failures> {
    let text = fs::read_to_string(target.join(FILE)).ok()?;
    let record: Value = serde_json::from_str(&text).ok()?;
    if record["key"].as_str() != Some(key) {
        return None;
    }
    let mut failed = BTreeMap::new();
    for (bin, error) in record["failed"].as_object()? {
        let text = |field: &str| error[field].as_str().map(str::to_string);
        failed.insert(bin.clone(), (text("first_error")?, text("log")?));
    }
    let built = bins.iter().filter(|bin| !failed.contains_key(**bin));
    built
        .into_iter()
        .all(|bin| bin_dir.join(bin).is_file())
        .then_some(failed)
}

/// Forget the outcome before a build starts: one cut short must not leave a record of
/// the files it was building.
pub fn forget(target: &Path) {
    let _ = fs::remove_file(target.join(FILE));
}

/// Keep the outcome of the build of `key`.
pub fn write(target: &Path, key: &str, failed: &Failures) {
    let failed: serde_json::Map<String, Value> = failed
        .iter()
        .map(|(bin, (first_error, log))| {
            let error = json!({ "first_error": first_error, "log": log });
            (bin.clone(), error)
        })
        .collect();
    let record = json!({ "key": key, "failed": failed });
    // A record that cannot be written only costs the next build its shortcut.
    let _ = fs::create_dir_all(target);
    let _ = fs::write(target.join(FILE), record.to_string());
}
