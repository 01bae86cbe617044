//! What a `cargo build --message-format json` said, program by program: which binaries it
//! built and the first compiler error of each target that failed. Read from cargo's own
//! JSON messages rather than its text, whose wording is no interface. Only the few fields
//! used are read, through `serde_json::Value`: here, in the grading crate, never in the
//! harness every student's `cargo test -p <exercise>` links.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

/// One target (a binary or a library) of one package, as cargo names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub package_id: String,
    pub name: String,
}

/// A whole build's messages, digested.
#[derive(Clone, Debug, Default)]
pub struct Messages {
    /// Every binary cargo built or found fresh, by target name: its executable.
    pub executables: BTreeMap<String, PathBuf>,
    /// The first error the compiler reported for each target that failed, rendered as
    /// rustc prints it.
    pub first_errors: BTreeMap<Target, String>,
    /// The order targets failed in, so "the first error of the package" is the first seen.
    pub failed_order: Vec<Target>,
    /// `build-finished`'s verdict; None when cargo never got that far.
    pub success: Option<bool>,
}

impl Messages {
    /// Digest cargo's stdout: one JSON object a line. Lines that are not JSON (a build
    /// script's stray output) are skipped.
    pub fn parse(stdout: &str) -> Messages {
        let mut messages = Messages::default();
        for line in stdout.lines() {
            let Ok(value) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let target = || Target {
                package_id: text(&value["package_id"]).to_string(),
                name: text(&value["target"]["name"]).to_string(),
            };
            match text(&value["reason"]) {
                "compiler-artifact" => {
                    if let Some(exe) = value["executable"].as_str() {
                        messages
                            .executables
                            .insert(target().name, PathBuf::from(exe));
                    }
                }
                "compiler-message" => {
                    let message = &value["message"];
                    if text(&message["level"]) != "error" {
                        continue;
                    }
                    let target = target();
                    if !messages.first_errors.contains_key(&target) {
                        let rendered = match message["rendered"].as_str() {
                            Some(rendered) => rendered,
                            None => text(&message["message"]),
                        };
                        messages
                            .first_errors
                            .insert(target.clone(), rendered.trim_end().to_string());
                        messages.failed_order.push(target);
                    }
                }
                "build-finished" => messages.success = value["success"].as_bool(),
                _ => {}
            }
        }
        messages
    }

    /// The compiler's first error about binary `bin` of package `package` itself, if it
    /// gave one (none when its rustc was killed).
    pub fn own_error(&self, package: &str, bin: &str) -> Option<&str> {
        self.failed_order
            .iter()
            .find(|t| package_name(&t.package_id) == Some(package) && t.name == bin)
            .and_then(|t| self.first_errors.get(t))
            .map(String::as_str)
    }

    /// The compiler's first error that explains why binary `bin` of package `package`
    /// (cargo's package name) was not built: its own, else the first of its package (a
    /// library it uses), else the first of the build.
    pub fn error_for(&self, package: &str, bin: &str) -> Option<&str> {
        let in_package = |t: &&Target| package_name(&t.package_id) == Some(package);
        self.failed_order
            .iter()
            .filter(in_package)
            .find(|t| t.name == bin)
            .or_else(|| self.failed_order.iter().find(in_package))
            .or_else(|| self.failed_order.first())
            .and_then(|t| self.first_errors.get(t))
            .map(String::as_str)
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

/// The package name in a package id: `path+file:///x/exercises/udp_cs#0.1.0` (a path
/// package named like its folder) or `path+file:///x/y#udp_cs@0.1.0`.
fn package_name(id: &str) -> Option<&str> {
    let (location, fragment) = id.rsplit_once('#')?;
    match fragment.split_once('@') {
        Some((name, _version)) => Some(name),
        None => location.rsplit('/').next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BUILD: &str = r#"{"reason":"compiler-message","package_id":"path+file:///s/exercises/udp_cs#0.1.0","target":{"kind":["bin"],"name":"udp_server"},"message":{"rendered":"warning: unused\n","level":"warning"}}
not json at all
{"reason":"compiler-message","package_id":"path+file:///s/exercises/udp_cs#0.1.0","target":{"kind":["bin"],"name":"udp_server"},"message":{"rendered":"error[E0425]: cannot find value `x`\n --> exercises/udp_cs/src/bin/udp_server.rs:3:5\n\n","level":"error"}}
{"reason":"compiler-message","package_id":"path+file:///s/exercises/udp_cs#0.1.0","target":{"kind":["bin"],"name":"udp_server"},"message":{"rendered":"error: aborting due to 1 previous error\n","level":"error"}}
{"reason":"compiler-artifact","package_id":"path+file:///s/exercises/udp_cs#0.1.0","target":{"kind":["bin"],"name":"udp_client"},"executable":"/s/target/debug/udp_client","fresh":false}
{"reason":"build-finished","success":false}
"#;

    #[test]
    fn each_binary_has_its_own_result() {
        let messages = Messages::parse(BUILD);
        assert_eq!(messages.success, Some(false));
        assert_eq!(
            messages.executables.get("udp_client"),
            Some(&PathBuf::from("/s/target/debug/udp_client"))
        );
        assert!(!messages.executables.contains_key("udp_server"));
        let error = messages.error_for("udp_cs", "udp_server").unwrap();
        assert!(
            error.starts_with("error[E0425]: cannot find value `x`"),
            "{error}"
        );
        assert!(!error.contains("aborting"), "{error}");
        // A binary of the package that failed for its library's error gets that one.
        assert_eq!(messages.error_for("udp_cs", "udp_client"), Some(error));
    }

    #[test]
    fn package_names_from_both_id_shapes() {
        assert_eq!(
            package_name("path+file:///s/exercises/udp_cs#0.1.0"),
            Some("udp_cs")
        );
        assert_eq!(
            package_name("path+file:///s/x#udp_cs@0.1.0"),
            Some("udp_cs")
        );
        assert_eq!(package_name("nonsense"), None);
    }
}
