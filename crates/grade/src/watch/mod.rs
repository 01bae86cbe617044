//! `grade --watch`: the student's loop. It checks the first exercise short of full marks
//! and shows one screen (the score, the next failing check, the keys); each save under
//! the exercise's `src/` checks it again, and full marks move on to the next exercise.
//! The checking is grade's own student mode, run as a child per round (`round.rs`), so
//! that it is exactly `cargo run -p grade`'s and a save can cancel it whole.

mod files;
mod round;
mod screen;
mod terminal;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

use anyhow::Result;
use grading::build::Workspace;
use harness::Exercise;

use crate::args::Options;
use crate::report::ExerciseReport;
use files::Snapshot;
use round::{Grade, Round, Target};
use terminal::Key;

/// How often the files are looked at and the round is asked whether it is over.
const TICK: Duration = Duration::from_millis(100);
/// How long the files must stay as they are after a change before a round starts: an
/// editor's several writes of one save make one round.
const DEBOUNCE: Duration = Duration::from_millis(200);
/// Sets the debounce in milliseconds (the tests' short one, or a slow network folder's).
pub const DEBOUNCE_VAR: &str = "NETLAB_WATCH_DEBOUNCE_MS";

/// Run the loop on `exercises` (the book's order) until `q`, the input's end or a signal.
pub fn main(options: &Options, exercises: Vec<&'static Exercise>) -> Result<ExitCode> {
    let workspace = Workspace::find(options.root.as_deref())?;
    let mut passed = vec!["--root".into(), workspace.root().as_os_str().to_owned()];
    if let Some(scratch) = &options.scratch {
        passed.extend(["--scratch".into(), std::path::absolute(scratch)?.into()]);
    }
    passed.extend([
        "--timeout".into(),
        options.timeout.as_secs().to_string().into(),
    ]);
    if let Some(limits) = &options.limits {
        passed.extend(["--limits".into(), limits.to_arg().into()]);
    }
    if let Some(limits) = &options.build_limits {
        passed.extend(["--build-limits".into(), limits.to_arg().into()]);
    }
    let debounce =
        match std::env::var(DEBOUNCE_VAR) {
            Ok(ms) => Duration::from_millis(ms.trim().parse().map_err(|_| {
                anyhow::anyhow!("{DEBOUNCE_VAR}={ms:?}: say a number of milliseconds")
            })?),
            Err(_) => DEBOUNCE,
        };
    let mut session = Session {
        grade: Grade {
            exe: std::env::current_exe()?,
            options: passed,
        },
        root: workspace.root().to_path_buf(),
        names: exercises.iter().map(|e| e.name).collect(),
        current: 0,
        seed: harness::seed::run_seed(),
        debounce,
        round: None,
        seen: Snapshot::default(),
        changed_at: None,
        done: vec![None; exercises.len()],
        note: String::new(),
    };
    terminal::keys_at_once();
    // Ctrl-C or a kill: the terminal back as it was, the round's child stopped (it stops
    // what it started), then exit.
    harness::signals::on_termination(|| {
        terminal::restore();
        harness::groups::terminate_all_groups(Duration::from_secs(5));
        harness::sandbox::clean_up();
        eprintln!("\nwatch stopped; every program it started has been stopped too");
    });
    session.run();
    terminal::restore();
    Ok(ExitCode::SUCCESS)
}

struct Session {
    grade: Grade,
    root: PathBuf,
    names: Vec<&'static str>,
    /// The exercise watched: an index into `names`.
    current: usize,
    /// Every round's seed: the student compares like with like until `r`.
    seed: u64,
    debounce: Duration,
    round: Option<Round>,
    /// The watched exercise's files at the last look.
    seen: Snapshot,
    /// When they last changed, while a round waits for them to settle.
    changed_at: Option<Instant>,
    /// Whether each exercise had full marks when last checked (None: not checked yet).
    done: Vec<Option<bool>>,
    /// What just happened, shown at the top of the next screen.
    note: String,
}

impl Session {
    fn run(&mut self) {
        let keys = terminal::keys();
        let mut input_open = true;
        self.watch(self.current);
        self.start(Target::Exercise(self.current));
        loop {
            let key = match input_open {
                true => keys.recv_timeout(TICK),
                false => {
                    harness::wait::on_purpose(TICK, "the loop's tick: no key can come now");
                    Err(RecvTimeoutError::Timeout)
                }
            };
            match key {
                Ok(Key::End) | Err(RecvTimeoutError::Disconnected) => input_open = false,
                Ok(key) => {
                    if !self.on_key(key) {
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            self.look_at_files();
            if self
                .changed_at
                .is_some_and(|at| at.elapsed() >= self.debounce)
            {
                self.changed_at = None;
                self.start(Target::Exercise(self.current));
            }
            if self.round.as_mut().is_some_and(Round::is_over) {
                self.finish_round();
            }
            // Without input the student cannot ask for more: stop once the screen is up.
            if !input_open && self.round.is_none() && self.changed_at.is_none() {
                break;
            }
        }
        if let Some(round) = self.round.take() {
            round.cancel();
        }
    }

    /// Act on `key`; false to quit.
    fn on_key(&mut self, key: Key) -> bool {
        let last = self.names.len() - 1;
        match key {
            Key::Char('q') => return false,
            Key::Enter => self.start(Target::Exercise(self.current)),
            Key::Char('n') if self.current < last => self.go_to(self.current + 1),
            Key::Char('p') if self.current > 0 => self.go_to(self.current - 1),
            Key::Char('n' | 'p') => {
                self.say("(no exercise that way: n and p stop at the ends of the list)")
            }
            Key::Char('l') => self.start(Target::All),
            Key::Char('r') => {
                self.seed = harness::seed::fresh();
                self.note = format!("new inputs: seed {}", self.seed);
                self.start(Target::Exercise(self.current));
            }
            _ => {}
        }
        true
    }

    fn go_to(&mut self, exercise: usize) {
        self.watch(exercise);
        self.start(Target::Exercise(exercise));
    }

    /// Watch `exercise`'s files from now on.
    fn watch(&mut self, exercise: usize) {
        self.current = exercise;
        self.seen = Snapshot::of(&self.src(exercise));
        self.changed_at = None;
    }

    fn src(&self, exercise: usize) -> PathBuf {
        self.root
            .join("exercises")
            .join(self.names[exercise])
            .join("src")
    }

    /// A save cancels the round under way (its results would be of the old code) and
    /// starts the wait for the files to settle.
    fn look_at_files(&mut self) {
        let now = Snapshot::of(&self.src(self.current));
        if now != self.seen {
            self.seen = now;
            self.changed_at = Some(Instant::now());
            if let Some(round) = self.round.take() {
                round.cancel();
            }
        }
    }

    /// Start a round on `target`, cancelling the one under way.
    fn start(&mut self, target: Target) {
        if let Some(round) = self.round.take() {
            round.cancel();
        }
        let names: Vec<&str> = match target {
            Target::Exercise(i) => vec![self.names[i]],
            Target::All => self.names.clone(),
        };
        let what = match target {
            Target::Exercise(i) => self.names[i].to_string(),
            Target::All => "every exercise".to_string(),
        };
        self.say(&format!("checking {what} (seed {})...", self.seed));
        match Round::start(&self.grade, target, &names, self.seed) {
            Ok(round) => self.round = Some(round),
            Err(why) => self.show(&screen::trouble(&what, &why)),
        }
    }

    fn finish_round(&mut self) {
        let Some(round) = self.round.take() else {
            return;
        };
        let target = round.target;
        let results = round.results();
        match (target, results) {
            (Target::Exercise(i), Err(why)) => self.show(&screen::trouble(self.names[i], &why)),
            (Target::All, Err(why)) => self.show(&screen::trouble("your exercises", &why)),
            (Target::All, Ok(exercises)) => {
                for ex in &exercises {
                    if let Some(i) = self.names.iter().position(|n| *n == ex.name) {
                        self.done[i] = Some(screen::is_done(ex));
                    }
                }
                self.note.clear();
                self.show(&screen::list(&exercises, self.current, self.seed));
            }
            (Target::Exercise(i), Ok(exercises)) => {
                match exercises.into_iter().find(|e| e.name == self.names[i]) {
                    Some(ex) => self.exercise_checked(i, &ex),
                    None => self.show(&screen::trouble(
                        self.names[i],
                        "grade's report does not hold it",
                    )),
                }
            }
        }
    }

    /// Show `ex`'s screen, or move on when it has just reached full marks.
    fn exercise_checked(&mut self, i: usize, ex: &ExerciseReport) {
        let done = screen::is_done(ex);
        let reached = done && self.done[i] != Some(true);
        self.done[i] = Some(done);
        if reached && i + 1 < self.names.len() {
            let next = self.names[i + 1];
            self.note = format!(
                "{}: full marks ({}/{}): on to {next}",
                ex.name, ex.score, ex.max_score
            );
            self.say(&self.note.clone());
            self.go_to(i + 1);
            return;
        }
        if done && self.done.iter().all(|d| *d == Some(true)) {
            self.show(&screen::all_done(self.names.len()));
            return;
        }
        let watched = format!("exercises/{}/src/", ex.name);
        let place = screen::Place {
            position: i + 1,
            count: self.names.len(),
            seed: self.seed,
            watched: &watched,
            next: self.names.get(i + 1).copied(),
        };
        let note = std::mem::take(&mut self.note);
        self.show(&screen::exercise(ex, &place, &note));
    }

    /// A new screen holding `text`.
    fn show(&self, text: &str) {
        write_out(&format!("{}{text}", terminal::new_screen()));
    }

    /// One line under the screen.
    fn say(&self, line: &str) {
        write_out(&format!("{line}\n"));
    }
}

/// Write to stdout; a reader that went away (`| head`) is no reason to panic or stop.
fn write_out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}
