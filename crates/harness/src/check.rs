//! Checks as data: an exercise's list of named, scored checks, the context a check runs
//! in (which binaries are under test), and the result, whose message tells the student what
//! was expected, what happened, and where in the book to read.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Display};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::contract::Clause;
use crate::output::Output;
use crate::process::{Cmd, Running};
use crate::transcript::Transcript;

/// One exercise: its package name, the binaries a student writes, its book chapter, and
/// its checks.
pub struct Exercise {
    /// Package (and folder) name, e.g. `echo`.
    pub name: &'static str,
    /// The student's binaries; each has a reference twin named `<bin>_sol`.
    pub bins: &'static [&'static str],
    /// The chapter's file in book/src, e.g. `echo.md`.
    pub chapter: &'static str,
    /// The checks, in the order they run and are reported.
    pub checks: &'static [Check],
    /// The contract as numbered clauses (`checks/contract.md`, which the chapter
    /// includes): `- **S1** text`. Each check names the clauses it covers.
    pub contract: &'static str,
    /// What the world can send or do, per clause, and which check tries each class
    /// (`checks/matrix.md`, a table the chapter includes).
    pub matrix: &'static str,
}

impl Exercise {
    pub fn checks(&self) -> &'static [Check] {
        self.checks
    }

    /// Where the book explains `check`, with the contract's clauses it covers:
    /// `book/src/echo.md#what-echo-prints (contract: E1, E4)`.
    pub fn read_about(&self, check: &Check) -> String {
        let page = format!("book/src/{}{}", self.chapter, check.section);
        match check.covers {
            [] => page,
            clauses => format!("{page} (contract: {})", clauses.join(", ")),
        }
    }

    /// The contract's clauses, in order.
    pub fn clauses(&self) -> Vec<Clause> {
        crate::contract::clauses(self.contract)
    }

    pub fn max_points(&self) -> u32 {
        self.checks().iter().map(|c| c.points).sum()
    }
}

/// One check: a name (what a student filters on), points, the book section that explains
/// it, and the function that runs it.
#[derive(Clone, Copy)]
pub struct Check {
    pub name: &'static str,
    pub points: u32,
    /// A heading anchor in the exercise's chapter: `#argument-zero`.
    pub section: &'static str,
    pub run: fn(&Ctx) -> Result<(), Failure>,
    /// The check runs a reference program (`ctx.reference`). Where there is none (a class
    /// edition, which carries no solutions) it is skipped as [`GRADED_BY_INSTRUCTOR`].
    pub uses_reference: bool,
    /// The ids of the contract's clauses this check tries (`S1`): see [`Exercise::contract`].
    pub covers: &'static [&'static str],
    /// The check captures its own network's packets ([`crate::wire::Capture`]). Where
    /// checks have no network of their own (no user namespaces) it is skipped, saying why.
    pub captures: bool,
}

impl Check {
    /// A one-point check; `section` is a heading anchor in the chapter (`#argument-zero`).
    pub const fn new(
        name: &'static str,
        section: &'static str,
        run: fn(&Ctx) -> Result<(), Failure>,
    ) -> Check {
        Check {
            name,
            points: 1,
            section,
            run,
            uses_reference: false,
            covers: &[],
            captures: false,
        }
    }

    /// The contract's clauses this check tries, by id (`&["S1", "S4"]`).
    pub const fn covers(mut self, clauses: &'static [&'static str]) -> Check {
        self.covers = clauses;
        self
    }

    /// Mark a check that runs a reference program: `ctx.reference` panics in any other.
    pub const fn uses_reference(mut self) -> Check {
        self.uses_reference = true;
        self
    }

    /// Mark a check that captures the packets of its own network (Linux's user and
    /// network namespaces): skipped with the reason where there are none.
    pub const fn captures(mut self) -> Check {
        self.captures = true;
        self
    }
}

/// What a student reads for a check skipped because this copy of netlab has no reference
/// programs: their instructor's copy runs it.
pub const GRADED_BY_INSTRUCTOR: &str = "graded by your instructor";

/// Why a check failed, in words for the student.
#[derive(Debug)]
pub struct Failure {
    pub(crate) message: String,
    /// The message already says what went wrong in the run that matters: a panic of
    /// some other run of the check is not quoted above it (see [`Failure::panics_told`]).
    pub(crate) panics_told: bool,
}

impl Failure {
    /// A free-form failure message.
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            panics_told: false,
        }
    }

    /// "expected: ... / got: ...".
    pub fn expected(expected: impl Display, got: impl Display) -> Self {
        Failure::new(format!("expected: {expected}\n     got: {got}"))
    }

    /// Add the run that went wrong: command, how it ended, what it printed.
    pub fn with_run(mut self, output: &Output) -> Self {
        self.message.push('\n');
        self.message.push_str(&output.report());
        self
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Mark a failure that names the one run of many that went wrong (a scenario of
    /// several played at once): which of the others panicked first is timing's, so no
    /// panic is quoted above it (`todo!()` still reads "not written yet").
    pub fn panics_told(mut self) -> Self {
        self.panics_told = true;
        self
    }
}

impl Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Failure::new(format!("the check could not run: {error}"))
    }
}

/// Paths of the binaries under test and of the reference binaries, by binary name.
#[derive(Clone, Debug, Default)]
pub struct Binaries {
    pub student: BTreeMap<String, PathBuf>,
    pub reference: BTreeMap<String, PathBuf>,
    /// The student's binaries that did not compile: a check that asks for one of them
    /// stops there and scores 0 (see [`Ctx::student_path`]), the others run.
    pub not_compiled: BTreeSet<String>,
}

impl Binaries {
    /// Cargo's layout: the student's `<bin>` and the reference `<bin>_sol` share a folder.
    /// `one_bin` is any binary of the exercise in that folder (`CARGO_BIN_EXE_<bin>`).
    /// Cargo builds every binary of the package before its tests, so a `<bin>_sol` missing
    /// there means the package has none (a class edition): no reference then.
    pub fn beside(exercise: &Exercise, one_bin: impl AsRef<Path>) -> Self {
        let dir = one_bin.as_ref().parent().unwrap_or(Path::new("."));
        // Without `..` (a relative CARGO_TARGET_DIR gives `checkout/../target`): the
        // sandbox's view holds the binary at its real path, where `..` may lead nowhere.
        let real = dir.canonicalize();
        let dir = real.as_deref().unwrap_or(dir);
        let mut bins = Binaries::in_dirs(exercise, dir, dir);
        if !bins.reference.values().all(|path| path.is_file()) {
            bins.reference.clear();
        }
        bins
    }

    /// The student binaries in `student_dir`, and no reference programs: checks that need
    /// one are skipped ([`GRADED_BY_INSTRUCTOR`]).
    pub fn without_reference(exercise: &Exercise, student_dir: &Path) -> Self {
        let mut bins = Binaries::in_dirs(exercise, student_dir, student_dir);
        bins.reference.clear();
        bins
    }

    /// Student binaries in `student_dir`, reference binaries in `reference_dir`.
    pub fn in_dirs(exercise: &Exercise, student_dir: &Path, reference_dir: &Path) -> Self {
        let exe =
            |dir: &Path, name: &str| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
        Binaries {
            student: exercise
                .bins
                .iter()
                .map(|b| (b.to_string(), exe(student_dir, b)))
                .collect(),
            reference: exercise
                .bins
                .iter()
                .map(|b| (b.to_string(), exe(reference_dir, &format!("{b}_sol"))))
                .collect(),
            not_compiled: BTreeSet::new(),
        }
    }

    /// The reference binaries graded as if a student had written them: they must pass.
    pub fn reference_as_student(exercise: &Exercise, dir: &Path) -> Self {
        let mut bins = Binaries::in_dirs(exercise, dir, dir);
        bins.student = bins.reference.clone();
        bins
    }
}

/// What a check gets: the binaries, its seeded generator, and a transcript of what it ran
/// and of the steps it took.
pub struct Ctx {
    pub(crate) bins: Binaries,
    /// Whether the check was declared [`Check::uses_reference`].
    pub(crate) uses_reference: bool,
    pub(crate) transcript: Arc<Transcript>,
    pub(crate) rng: Mutex<fastrand::Rng>,
    pub(crate) steps: Mutex<Vec<String>>,
    /// The binary this check asked for that did not compile, if it did.
    pub(crate) not_compiled: Mutex<Option<String>>,
}

/// The unwinding payload that stops a check at its first use of a binary that did not
/// compile: whatever else the check would have done, it needed that program.
struct NeedsUncompiled;

impl Ctx {
    /// The check's generator, seeded from the run's seed and the check's name: draw every
    /// input a student could otherwise hard-code from it (see [`crate::draw`]).
    pub fn rng(&self) -> MutexGuard<'_, fastrand::Rng> {
        self.rng.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Record a step of a check with several actors ("peer sender sent the name `a.txt`");
    /// a failure lists the steps so far above expected/got.
    pub fn step(&self, step: impl Into<String>) {
        self.steps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(step.into());
    }

    /// The student's binary `bin`, ready to run.
    pub fn student(&self, bin: &str) -> Cmd {
        self.student_at(self.student_path(bin))
    }

    /// The student's program started through `program`, a link to one of its binaries
    /// that the check made, so that its argv[0] is a path the check chose (and a student
    /// cannot know in advance). Like every program under test: in the sandbox, its panics
    /// watched.
    pub fn student_at(&self, program: impl AsRef<Path>) -> Cmd {
        Cmd::new(program).untrusted().transcript(&self.transcript)
    }

    /// The reference binary for `bin` (`<bin>_sol`), ready to run.
    pub fn reference(&self, bin: &str) -> Cmd {
        // Undeclared, such a check would fail for every student of a class edition
        // instead of being skipped there.
        assert!(
            self.uses_reference,
            "a check runs the reference {bin} but is not marked Check::uses_reference"
        );
        let path = self
            .bins
            .reference
            .get(bin)
            .unwrap_or_else(|| panic!("no reference binary {bin}"));
        Cmd::new(path)
    }

    pub fn student_path(&self, bin: &str) -> &Path {
        if self.bins.not_compiled.contains(bin) {
            // Recorded here, not only in the payload: a check that asked from a thread of
            // its own gets its panic re-raised by the thread scope with another payload.
            *self.not_compiled.lock().unwrap_or_else(|e| e.into_inner()) = Some(bin.to_string());
            // Not `panic!`: no hook runs, so nothing is printed for a planned stop.
            std::panic::resume_unwind(Box::new(NeedsUncompiled));
        }
        self.bins
            .student
            .get(bin)
            .unwrap_or_else(|| panic!("no student binary {bin}"))
    }
}

/// Start a server (the caller passes `127.0.0.1:0` as its address) and read its
/// `listening on ADDR` line, within `timeout`.
pub fn start_server(
    cmd: Cmd,
    timeout: Duration,
) -> Result<(Running, std::net::SocketAddr), Failure> {
    let server = cmd.spawn()?;
    match server.listening_addr(timeout) {
        Ok(addr) => Ok((server, addr)),
        Err(got) => {
            let output = server.kill();
            Err(Failure::expected(
                "first stdout line `listening on 127.0.0.1:PORT`, with the real port",
                got,
            )
            .with_run(&output))
        }
    }
}

/// Start `cmd` as a server and run `test` against its address; when `test` fails, the
/// failure shows what the server printed. The server is killed either way.
pub fn with_server(
    cmd: Cmd,
    timeout: Duration,
    test: impl FnOnce(std::net::SocketAddr) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let (server, addr) = start_server(cmd, timeout)?;
    test(addr).map_err(|failure| failure.with_run(&server.kill()))
}
