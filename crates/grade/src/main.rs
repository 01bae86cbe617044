//! `grade`: grades netlab exercises with the same checks `cargo test -p <exercise>` runs.
//! With no argument it shows a student's progress on their exercises/ (with `--watch`, again
//! on every save: watch/); with `--reference` it grades the reference solutions (a health
//! check); with paths it grades a class of submissions, each built in isolation and run
//! under deadlines, and writes a table, JSON, JUnit XML, Gradescope's results.json or
//! Markdown.

mod args;
mod discover;
mod engine;
mod export;
mod feedback;
mod report;
mod upload;
mod verdict;
mod watch;
mod worker;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use grading::build::Workspace;
use harness::Exercise;
use harness::sandbox::Mode;

use args::{Format, Options};
use discover::Submission;
use engine::Plan;
use report::Report;

fn main() -> ExitCode {
    // First, while this process has one thread; it also makes grade the sandbox's launcher
    // when a worker starts it as one.
    harness::sandbox::init();
    let code = dispatch();
    harness::sandbox::clean_up();
    code
}

fn dispatch() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    if argv.first().is_some_and(|a| a == "--worker") {
        return worker::main(&argv[1..]);
    }
    let options = match args::parse(argv) {
        Ok(options) => options,
        // The help (on stdout, exit 0) or a usage error (on stderr, exit 2).
        Err(stop) => {
            let _ = stop.print();
            return ExitCode::from(u8::try_from(stop.exit_code()).unwrap_or(2));
        }
    };
    // Ctrl-C or a kill: stop the workers (which stop what they started), then exit.
    // Watch mode installs its own, which gives the terminal back first.
    if !options.watch {
        harness::signals::on_termination(|| {
            harness::groups::terminate_all_groups(Duration::from_secs(3));
            harness::sandbox::clean_up();
            eprintln!("error: interrupted; every program grade started has been stopped");
        });
    }
    // What a Gradescope fallback needs once `run` has the options.
    let fallback: Vec<std::path::PathBuf> = options
        .outs
        .iter()
        .filter(|(format, _)| *format == Format::Gradescope)
        .map(|(_, path)| path.clone())
        .collect();
    let hidden = (options.paths.clone(), options.scratch.clone());
    let outcome = run(options);
    // An error after a Ctrl-C (a build it stopped) is no error of the submission's.
    harness::signals::halt_if_interrupted();
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            for out in &fallback {
                write_fallback(out, &hidden.0, hidden.1.as_deref(), &format!("{error:#}"));
            }
            ExitCode::FAILURE
        }
    }
}

fn run(options: Options) -> Result<ExitCode> {
    if let Some(dest) = &options.export {
        let workspace = Workspace::find(options.root.as_deref())?;
        let exported = export::export(&workspace, dest)?;
        println!(
            "wrote the class edition into {}: {} files\n\
             ({} reference listings taken out of the book; no solutions/, no *_sol binaries)",
            dest.display(),
            exported.files,
            exported.book_listings_removed
        );
        return Ok(ExitCode::SUCCESS);
    }
    let exercises = match select_exercises(&options.exercises) {
        Ok(exercises) => exercises,
        Err(unknown) => {
            let names: Vec<&str> = grading::exercises().iter().map(|e| e.name).collect();
            eprintln!(
                "error: no exercise named {unknown:?}: choose from {}\n\n{}",
                names.join(", "),
                args::usage()
            );
            return Ok(ExitCode::from(2));
        }
    };
    if options.watch {
        return watch::main(&options, exercises);
    }
    let sandbox = harness::sandbox::init();
    let others = !options.reference && !options.paths.is_empty();
    if others && sandbox.mode == Mode::Unsandboxed && !options.unsandboxed {
        eprintln!(
            "error: no sandbox can be had here ({}), and these submissions are other \
             people's code: their programs would run with your rights, see your files and \
             outlive grading. Grade them where user namespaces are allowed (or as root, \
             which runs them as a user of their own), or pass --unsandboxed to grade them \
             anyway.",
            sandbox
                .why_not
                .as_deref()
                .unwrap_or("no sandbox on this system")
        );
        return Ok(ExitCode::from(2));
    }
    let mut workspace = Workspace::find(options.root.as_deref())?;
    if let Some(limits) = options.build_limits {
        workspace = workspace.with_build_limits(limits);
    }
    if !workspace.has_reference() && (options.reference || !options.paths.is_empty()) {
        bail!(
            "this checkout has no reference solutions (it is a class edition): grade \
             submissions in the instructor's checkout, where every check runs"
        );
    }
    let scratch = match &options.scratch {
        Some(dir) => std::path::absolute(dir)
            .with_context(|| format!("{}: not a usable folder", dir.display()))?,
        None => workspace.target_dir().join("netlab").join("grade"),
    };
    close_to_others(&scratch)?;
    // Without `..` (a relative CARGO_TARGET_DIR gives `checkout/../target`) or links: a
    // program's view holds the folders it is given at these paths, and `a/../b` leads
    // nowhere where `a` is not in view.
    let scratch = scratch
        .canonicalize()
        .with_context(|| format!("{}: not a usable folder", scratch.display()))?;
    let plan = Plan {
        exercises,
        jobs: options.jobs,
        timeout: options.timeout,
        scratch,
        progress: std::io::stderr().is_terminal(),
        workspace,
        limits: options.limits.unwrap_or(sandbox.limits),
    };
    let report = if options.reference {
        engine::grade_reference(&plan)?
    } else if options.paths.is_empty() {
        let local = Submission {
            name: "exercises/".to_string(),
            path: plan.workspace.root().join("exercises"),
            root: plan.workspace.root().join("exercises"),
            key: "local".to_string(),
            notes: Vec::new(),
            missing: Default::default(),
            absent: Vec::new(),
        };
        engine::grade_submissions(&plan, &[local])?
    } else {
        let formats = options.formats();
        let one_only = formats.iter().copied().find(|f| f.one_submission());
        // Gradescope's folder is one student's upload, never a class.
        let gradescope = formats.contains(&Format::Gradescope);
        let found = discover::discover(
            &options.paths,
            &plan.exercises,
            &plan.scratch.join("uploads"),
            gradescope,
        )?;
        let submissions = &found.submissions;
        if let (Some(format), false) = (one_only, submissions.len() == 1) {
            bail!(
                "--format {} writes the results of one submission, but the paths hold {}",
                format.name(),
                submissions.len()
            );
        }
        let mut report = engine::grade_submissions(&plan, submissions)?;
        feedback::apply_uploads(&mut report, submissions, found.not_graded);
        let checkout = plan.workspace.root();
        feedback::hide_paths(
            &mut report,
            &[(&plan.scratch, "<scratch>"), (checkout, "<netlab>")],
        );
        report
    };
    let mut report = report;
    if let Some(url) = &options.book_url {
        feedback::apply_book_url(&mut report, url);
    }
    // A Ctrl-C cut the grading short: checks it killed are no results, and the signal's
    // thread is exiting with its own message.
    harness::signals::halt_if_interrupted();
    feedback::make_printable(&mut report);
    write_report(&options, &report)?;
    // The report is written either way: a CI job that fails still has it to show.
    let shortfalls = verdict::shortfalls(&report, options.reference, options.fail_under);
    for why in &shortfalls {
        eprintln!("error: {why}");
    }
    Ok(match shortfalls.is_empty() {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    })
}

/// The exercises to grade, in the book's order (all when none is named); Err(name) for
/// the first name that is no exercise.
fn select_exercises(names: &[String]) -> Result<Vec<&'static Exercise>, &str> {
    if let Some(unknown) = names.iter().find(|n| grading::exercise(n).is_none()) {
        return Err(unknown);
    }
    Ok(grading::exercises()
        .iter()
        .copied()
        .filter(|e| names.is_empty() || names.iter().any(|n| n == e.name))
        .collect())
}

/// Write `path` through a new file renamed over it: whatever a program under test may have
/// left at that path (a link to somewhere else, in a folder anyone can write to) is
/// replaced, never written through.
fn write_new(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&temporary)?;
    file.write_all(bytes)?;
    drop(file);
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// Gradescope reads results.json whatever happened: when grade could not grade, the file
/// says so (score 0, the reason) instead of leaving the student with a platform error.
fn write_fallback(
    out: &std::path::Path,
    paths: &[std::path::PathBuf],
    scratch: Option<&std::path::Path>,
    error: &str,
) {
    // The checkout grade runs in (run_autograder starts it there).
    let checkout = std::env::current_dir().ok();
    let scratch = scratch.map(|s| std::path::absolute(s).unwrap_or_else(|_| s.to_path_buf()));
    // The scratch folder first: it may lie inside the checkout.
    let mut hide: Vec<(&std::path::Path, &str)> = Vec::new();
    hide.extend(scratch.as_deref().map(|s| (s, "<scratch>")));
    hide.extend(paths.iter().map(|p| (p.as_path(), "<your upload>")));
    hide.extend(checkout.as_deref().map(|c| (c, "<netlab>")));
    let written = feedback::gradescope_fallback(error, &hide)
        .and_then(|text| Ok(write_new(out, text.as_bytes())?));
    if let Err(e) = written {
        eprintln!("error: could not write {}: {e:#}", out.display());
    }
}

/// The report in `format`.
fn render(format: Format, report: &Report, verbose: bool) -> Result<String> {
    Ok(match format {
        Format::Table => report::table(report, verbose),
        Format::Json => report::json(report)?,
        Format::Junit => report::junit(report)?,
        Format::Gradescope => report::gradescope(report)?,
        Format::Markdown => report::markdown(report),
        Format::Classroom => report::classroom(report)?,
    })
}

fn write_report(options: &Options, report: &Report) -> Result<()> {
    for (format, path) in &options.outs {
        let text = render(*format, report, options.verbose)?;
        write_new(path, text.as_bytes())
            .with_context(|| format!("could not write {}", path.display()))?;
    }
    // Files are for machines; the terminal gets the table, or the format asked for.
    let to_terminal = match options.outs.is_empty() {
        true => render(options.format, report, options.verbose)?,
        false => report::table(report, options.verbose),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(to_terminal.as_bytes())
        .and_then(|()| stdout.flush())
        .context("could not write the report")?;
    Ok(())
}

/// The scratch folder holds every submission's sources and build and the reference's: no
/// one else may list it, whatever the mode (other people on the machine have no business
/// reading a class's code). It and its `submissions/` stay passable (711): as root, a
/// launcher opens its program's binary as the program's own user (sandbox/launcher.rs),
/// and a build in the other-user mode runs as a user of its own, whose sources are closed
/// to all but its group; the reference and the staged uploads are the grader's alone
/// (700). The scratch folder's own mode is set only when grade makes it (`--scratch` may
/// name a folder shared with others, such as /tmp, whose mode is not grade's to change).
fn close_to_others(scratch: &std::path::Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let close = |dir: &std::path::Path, mode: u32| {
            std::fs::create_dir(dir)
                .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)))
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => Ok(()),
                    _ => Err(e),
                })
                .with_context(|| format!("{}: could not make it", dir.display()))
        };
        if let Some(parent) = scratch.parent() {
            // Named as the scratch folder, which is what the user asked for (and what a
            // report hides as `<scratch>`).
            std::fs::create_dir_all(parent)
                .with_context(|| format!("{}: could not make it", scratch.display()))?;
        }
        close(scratch, 0o711)?;
        for (inside, mode) in [
            ("submissions", 0o711),
            ("reference", 0o700),
            ("uploads", 0o700),
        ] {
            let dir = scratch.join(inside);
            close(&dir, mode)?;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("{}: could not close it to others", dir.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = scratch;
    Ok(())
}
