//! The README's and the book's runs of `cargo test -p` and `grade` are real. Each such
//! block is marked, and run again here in a copy of the checkout that holds the starters
//! as committed (what a fresh clone holds): every line it shows must be a line the real
//! run printed, in the same order. `NETLAB_BLESS=1 cargo test --test grading -- checkout_samples`
//! writes the whole real output into each block that no longer matches; cut it down with
//! `...` again before committing.
//!
//! The marker is an HTML comment (the reader does not see it) on the line before the
//! block's fence, with the state of the checkout to run the block in:
//!
//! ```text
//! <!-- sample seed=1066 solved=os_args,fs_meta
//! mkdir -p class/ada && cp -r exercises/os_args class/ada/
//! -->
//! ```
//!
//! `seed` is `NETLAB_SEED` for the whole block; `solved` lays the reference solutions of
//! those exercises over their starters; the lines after it are a shell script run in the
//! checkout before the block's commands. Each `$ ` line of the block is then run in one
//! shell, in order (a line ending in `\` goes on), standard error with standard output as
//! a terminal shows them. `--release` is dropped (same output, no second build) and a bare
//! `grade` is `cargo run -q -p grade --`.
//!
//! What the block shows after a command is compared with what it printed: `...` alone
//! stands for any lines left out, a line ending in `...` for the rest of that line. The
//! order libtest reports checks in depends on which finishes first, so its result lines
//! and failures are compared sorted by name (show them so). In the book, a line wider than
//! the page is broken at a space, the rest indented four more columns, as the book shows it.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use harness::Cmd;
use netlab_tests::{scratch, workspace};

/// The widest line a book listing holds (tests/book.rs `listings_fit_the_page`).
const PAGE: usize = 84;
/// Where the sample's checkout is said to be.
const STUDENT: &str = "/home/you/netlab";
/// Printed between two commands' outputs, to tell them apart.
const SEPARATOR: &str = "@@netlab-sample-separator@@";

/// The state of the checkout a block runs in.
#[derive(Default)]
struct Marker {
    seed: Option<String>,
    solved: Vec<String>,
    setup: String,
}

/// One `$ ` command of a block and the output the page shows under it.
struct Command {
    /// The command's lines as written (more than one when a line ends in `\`).
    lines: Vec<String>,
    shown: Vec<String>,
}

impl Command {
    /// The command as the shell reads it.
    fn text(&self) -> String {
        self.lines
            .iter()
            .map(|line| line.strip_prefix("$ ").unwrap_or(line))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A marked block: where it is and what it holds.
struct Block {
    /// Line number (from 0) of the opening fence.
    fence: usize,
    /// Line number of the closing fence.
    end: usize,
    marker: Marker,
    commands: Vec<Command>,
}

fn parse_marker(text: &str) -> Result<Marker, String> {
    let mut marker = Marker::default();
    let (first, setup) = text.split_once('\n').unwrap_or((text, ""));
    for word in first.split_whitespace() {
        match word.split_once('=') {
            Some(("seed", seed)) => marker.seed = Some(seed.to_string()),
            Some(("solved", names)) => {
                marker.solved = names.split(',').map(str::to_string).collect();
            }
            _ => return Err(format!("unknown word {word:?} in a sample marker")),
        }
    }
    marker.setup = setup.to_string();
    Ok(marker)
}

/// Every marked block of a page.
fn marked_blocks(text: &str) -> Result<Vec<Block>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(rest) = lines[i].strip_prefix("<!-- sample") else {
            i += 1;
            continue;
        };
        let start = i + 1;
        let mut marker = rest.to_string();
        while !marker.contains("-->") {
            i += 1;
            let line = lines
                .get(i)
                .ok_or(format!("line {start}: a sample marker without its -->"))?;
            marker.push('\n');
            marker.push_str(line);
        }
        let marker = parse_marker(marker.split("-->").next().unwrap_or("").trim_end())
            .map_err(|e| format!("line {start}: {e}"))?;
        let fence = i + 1;
        if !lines.get(fence).is_some_and(|l| l.starts_with("```")) {
            return Err(format!(
                "line {start}: a sample marker not followed by a block"
            ));
        }
        let end = (fence + 1..lines.len())
            .find(|&j| lines[j].starts_with("```"))
            .ok_or(format!("line {}: a block without its end", fence + 1))?;
        let mut commands: Vec<Command> = Vec::new();
        let mut j = fence + 1;
        while j < end {
            if lines[j].starts_with("$ ") {
                let mut command = vec![lines[j].to_string()];
                while command.last().is_some_and(|l| l.ends_with('\\')) && j + 1 < end {
                    j += 1;
                    command.push(lines[j].to_string());
                }
                commands.push(Command {
                    lines: command,
                    shown: Vec::new(),
                });
            } else if let Some(command) = commands.last_mut() {
                command.shown.push(lines[j].to_string());
            } else {
                return Err(format!(
                    "line {}: a sample block must start with `$ `",
                    j + 1
                ));
            }
            j += 1;
        }
        blocks.push(Block {
            fence,
            end,
            marker,
            commands,
        });
        i = end + 1;
    }
    Ok(blocks)
}

/// Make `checkout` a copy of this checkout with the starters as committed and `solved`
/// laid over them (see `grading::starters::mirror_checkout`).
fn prepare(checkout: &Path, solved: &[String]) {
    let mut overlay = BTreeMap::new();
    for exercise in solved {
        let solutions = workspace().root().join("solutions").join(exercise);
        for entry in fs::read_dir(&solutions).unwrap() {
            let from = entry.unwrap().path();
            let bin = Path::new("exercises").join(exercise).join("src/bin");
            overlay.insert(
                bin.join(from.file_name().unwrap()),
                fs::read(&from).unwrap(),
            );
        }
    }
    grading::starters::mirror_checkout(workspace(), checkout, overlay)
        .expect("the checkout can be copied");
}

/// The script that runs a block's setup, then its commands with separators between them.
fn script(block: &Block) -> String {
    let mut script = String::from(
        "cargo() { for a do shift; [ \"$a\" = --release ] || set -- \"$@\" \"$a\"; done; \
         command \"${CARGO:-cargo}\" \"$@\"; }\n\
         grade() { command \"${CARGO:-cargo}\" run -q -p grade -- \"$@\"; }\n\
         exec 2>&1\nset -e\n",
    );
    script.push_str(&block.marker.setup);
    script.push_str(&format!("\nset +e\nprintf '%s\\n' '{SEPARATOR}'\n"));
    for command in &block.commands {
        script.push_str(&command.text());
        script.push_str(&format!(
            "\nnetlab_status=$?; printf '%s\\n' '{SEPARATOR}'; (exit $netlab_status)\n"
        ));
    }
    script
}

/// What a block's run printed, command by command ([`run`]).
type Ran = Result<Vec<Vec<String>>, String>;

/// What each command of `block` printed, as lines, in the order libtest's are compared.
fn run(block: &Block, checkout: &Path) -> Ran {
    prepare(checkout, &block.marker.solved);
    let mut cmd = Cmd::new("sh")
        .arg("-c")
        .arg(script(block))
        .cwd(checkout)
        .env("CARGO_TARGET_DIR", scratch("samples").join("target"))
        .env("CARGO_TERM_QUIET", "true")
        .env("CARGO_TERM_COLOR", "never")
        // As a student's shell has it: this process's TMPDIR is its sandbox's scratch
        // folder (harness::sandbox::init), which the programs a sample runs must not share.
        .env(
            "TMPDIR",
            harness::sandbox::init().outer_temp_dir.as_os_str(),
        )
        // For a sample that commits (the class edition's first commit).
        .env("GIT_AUTHOR_NAME", "netlab")
        .env("GIT_AUTHOR_EMAIL", "netlab@example.edu")
        .env("GIT_COMMITTER_NAME", "netlab")
        .env("GIT_COMMITTER_EMAIL", "netlab@example.edu")
        // Cold, the checks and grade are built first (about two minutes on two cores).
        .timeout(Duration::from_secs(900));
    if let Some(seed) = &block.marker.seed {
        cmd = cmd.env(harness::seed::VAR, seed);
    }
    let output = cmd.run().map_err(|e| format!("sh did not start: {e}"))?;
    let text = output.stdout_text();
    let mut parts: Vec<&str> = text.split(&format!("{SEPARATOR}\n")).collect();
    // The setup's output, each command's, and nothing after the last separator.
    if parts.len() != block.commands.len() + 2 || parts.last() != Some(&"") {
        return Err(format!(
            "the setup or a command did not finish ({}):\n{text}",
            output.ending()
        ));
    }
    parts.remove(0);
    parts.pop();
    // Paths as on a student's machine: the checkout at /home/you/netlab, its target/ in it.
    let target = scratch("samples").join("target").display().to_string();
    let checkout = checkout.display().to_string();
    Ok(parts
        .into_iter()
        .map(|part| {
            let part = part
                .replace(&target, &format!("{STUDENT}/target"))
                .replace(&checkout, STUDENT);
            let mut lines: Vec<String> = part.lines().map(str::to_string).collect();
            while lines.last().is_some_and(|l| l.is_empty()) {
                lines.pop();
            }
            in_name_order(lines)
        })
        .collect())
}

/// libtest's result lines, failure sections and list of failures, each sorted by name.
fn in_name_order(lines: Vec<String>) -> Vec<String> {
    let is_result = |l: &str| l.starts_with("test ") && l.contains(" ... ");
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if is_result(&lines[i]) {
            let run: Vec<String> = lines[i..]
                .iter()
                .take_while(|l| is_result(l))
                .cloned()
                .collect();
            i += run.len();
            out.extend(sorted(run));
        } else if lines[i].starts_with("---- ") {
            let mut sections: Vec<Vec<String>> = Vec::new();
            while i < lines.len() && lines[i] != "failures:" {
                if lines[i].starts_with("---- ") {
                    sections.push(Vec::new());
                }
                if let Some(section) = sections.last_mut() {
                    section.push(lines[i].clone());
                }
                i += 1;
            }
            for section in &mut sections {
                while section.last().is_some_and(|l| l.is_empty()) {
                    section.pop();
                }
            }
            sections.sort();
            for section in sections {
                out.extend(section);
                out.push(String::new());
            }
            out.push(String::new());
        } else if lines[i] == "failures:" && lines.get(i + 1).is_some_and(|l| l.starts_with("    "))
        {
            out.push(lines[i].clone());
            let names: Vec<String> = lines[i + 1..]
                .iter()
                .take_while(|l| l.starts_with("    "))
                .cloned()
                .collect();
            i += 1 + names.len();
            out.extend(sorted(names));
        } else {
            out.push(lines[i].clone());
            i += 1;
        }
    }
    out
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

/// `line` as the book shows it: broken at a space before `PAGE` columns, the rest
/// indented four columns more than the line.
fn wrap(line: &str) -> Vec<String> {
    let indent = line.len() - line.trim_start().len();
    let mut pieces = Vec::new();
    let mut rest = line.to_string();
    while rest.chars().count() > PAGE {
        let limit = rest.char_indices().nth(PAGE).map_or(rest.len(), |(i, _)| i);
        // Never in the continuation's own indent: a word wider than the page would
        // otherwise be broken off its indent for ever.
        let lead = rest.len() - rest.trim_start().len();
        let Some(at) = rest[..limit].rfind(' ').filter(|&at| at > indent.max(lead)) else {
            break;
        };
        pieces.push(rest[..at].to_string());
        rest = format!("{}{}", " ".repeat(indent + 4), &rest[at + 1..]);
    }
    pieces.push(rest);
    pieces
}

/// Whether the lines a page shows are the real ones, `...` standing for lines left out.
/// Each real line comes as the pieces the page shows it in (one, or more in the book); a
/// line cut short with `...` stands for all of its pieces.
fn shows(shown: &[String], real: &[Vec<String>]) -> bool {
    fn from(
        shown: &[String],
        real: &[Vec<String>],
        i: usize,
        j: usize,
        failed: &mut HashSet<(usize, usize)>,
    ) -> bool {
        if failed.contains(&(i, j)) {
            return false;
        }
        let ok = match (shown.get(i), real.get(j)) {
            (None, _) => j == real.len(),
            (Some(line), _) if line.trim() == "..." => {
                (j..=real.len()).any(|k| from(shown, real, i + 1, k, failed))
            }
            (Some(_), None) => false,
            (Some(line), Some(pieces)) if cut_short(line, &unwrapped(pieces)) => {
                from(shown, real, i + 1, j + 1, failed)
            }
            (Some(_), Some(pieces)) => {
                shown[i..].starts_with(pieces) && from(shown, real, i + pieces.len(), j + 1, failed)
            }
        };
        if !ok {
            failed.insert((i, j));
        }
        ok
    }
    from(shown, real, 0, 0, &mut HashSet::new())
}

/// The line the book broke into `pieces` (see [`wrap`]).
fn unwrapped(pieces: &[String]) -> String {
    let mut line = pieces[0].clone();
    for piece in &pieces[1..] {
        line.push(' ');
        line.push_str(piece.trim_start());
    }
    line
}

/// A shown line that is the start of the real one followed by `...`.
fn cut_short(shown: &str, real: &str) -> bool {
    shown
        .strip_suffix("...")
        .is_some_and(|start| !start.trim().is_empty() && real.starts_with(start))
}

/// The pages whose samples are checked: the README and the book's chapters.
fn pages() -> Vec<PathBuf> {
    let root = workspace().root();
    let mut pages = vec![root.join("README.md")];
    let mut chapters: Vec<PathBuf> = fs::read_dir(root.join("book/src"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    chapters.sort();
    pages.extend(chapters);
    pages
}

fn relative(page: &Path) -> String {
    page.strip_prefix(workspace().root())
        .unwrap_or(page)
        .display()
        .to_string()
}

pub fn runs_of_cargo_test_and_grade_print_what_the_pages_show() {
    let bless = std::env::var_os("NETLAB_BLESS").is_some();
    let checkout = scratch("samples").join("checkout");
    let mut wrong = Vec::new();
    let mut broken = Vec::new();
    let mut count = 0;
    let pages: Vec<(PathBuf, String, Vec<Block>)> = pages()
        .into_iter()
        .map(|page| {
            let text = fs::read_to_string(&page).unwrap();
            let blocks =
                marked_blocks(&text).unwrap_or_else(|e| panic!("{}: {e}", relative(&page)));
            (page, text, blocks)
        })
        .collect();
    // Run grouped by the checkout's state (the exercises solved, the setup), not page by
    // page: each change of state has cargo and grade build the programs again.
    let mut runs: Vec<(&Path, &Block)> = pages
        .iter()
        .flat_map(|(page, _, blocks)| blocks.iter().map(move |block| (page.as_path(), block)))
        .collect();
    runs.sort_by_key(|(_, block)| (&block.marker.solved, &block.marker.setup));
    let mut ran: BTreeMap<(&Path, usize), Ran> = runs
        .into_iter()
        .map(|(page, block)| ((page, block.fence), run(block, &checkout)))
        .collect();
    for (page, text, blocks) in &pages {
        let book = page.parent().is_some_and(|dir| dir.ends_with("src"));
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // From the last, so that rewriting one keeps the line numbers of the others.
        for block in blocks.iter().rev() {
            count += 1;
            let place = format!("{}:{}", relative(page), block.fence + 1);
            let outputs = match ran.remove(&(page.as_path(), block.fence)).unwrap() {
                Ok(outputs) => outputs,
                Err(problem) => {
                    broken.push(format!("{place}: {problem}"));
                    continue;
                }
            };
            let mut rewritten = Vec::new();
            let mut all_shown = true;
            for (command, real) in block.commands.iter().zip(outputs) {
                let real: Vec<Vec<String>> = match book {
                    true => real.iter().map(|line| wrap(line)).collect(),
                    false => real.into_iter().map(|line| vec![line]).collect(),
                };
                // What blessing writes: the whole output, but libtest's timing, which
                // differs run to run, cut off.
                let real_lines: Vec<String> = real
                    .iter()
                    .flat_map(
                        |pieces| match unwrapped(pieces).split_once("; finished in ") {
                            Some((kept, _)) => vec![format!("{kept}; ...")],
                            None => pieces.clone(),
                        },
                    )
                    .collect();
                rewritten.extend(command.lines.iter().cloned());
                // Blank lines that part a command from the next are the page's.
                let blank = command
                    .shown
                    .iter()
                    .rev()
                    .take_while(|l| l.is_empty())
                    .count();
                let shown = &command.shown[..command.shown.len() - blank];
                if shows(shown, &real) {
                    rewritten.extend(command.shown.iter().cloned());
                } else {
                    all_shown = false;
                    wrong.push(format!(
                        "{place}: under `{}` the page shows\n{}\n\nbut the real run printed\n{}",
                        command.text(),
                        shown.join("\n"),
                        real_lines.join("\n")
                    ));
                    rewritten.extend(real_lines);
                    rewritten.extend(std::iter::repeat_n(String::new(), blank));
                }
            }
            if !all_shown {
                lines.splice(block.fence + 1..block.end, rewritten);
            }
        }
        let updated = lines.join("\n") + "\n";
        if bless && updated != *text {
            fs::write(page, updated).unwrap();
        }
    }
    assert!(count >= 5, "found only {count} marked samples");
    assert!(broken.is_empty(), "{}", broken.join("\n\n"));
    assert!(
        bless || wrong.is_empty(),
        "{}\n\nIf the programs are right, `NETLAB_BLESS=1 cargo test --test \
         grading -- checkout_samples` writes the real output into the page; cut it down with `...`.",
        wrong.join("\n\n")
    );
}

/// A run of `cargo test -p` or grade that shows its output is a checked sample.
pub fn every_run_shown_is_marked() {
    let mut unmarked = Vec::new();
    for page in pages() {
        let text = fs::read_to_string(&page).unwrap();
        let fences: HashSet<usize> = marked_blocks(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", relative(&page)))
            .iter()
            .map(|block| block.fence)
            .collect();
        let lines: Vec<&str> = text.lines().collect();
        let mut in_block = false;
        for (i, line) in lines.iter().enumerate() {
            if !line.starts_with("```") {
                continue;
            }
            in_block = !in_block;
            let first = lines.get(i + 1).copied().unwrap_or("");
            let shows_output = lines
                .get(i + 2)
                .is_some_and(|next| !next.starts_with("```") && !next.starts_with("$ "));
            let ours = first.starts_with("$ cargo test -p")
                || (first.starts_with("$ cargo run") && first.contains("-p grade"))
                || first.starts_with("$ grade ");
            if in_block && ours && shows_output && !fences.contains(&i) {
                unmarked.push(format!("{}:{}: {first}", relative(&page), i + 1));
            }
        }
    }
    assert!(
        unmarked.is_empty(),
        "these runs show output but are not marked `<!-- sample ... -->` (see \
         tests/checkout_samples.rs), so nothing checks them:\n{}",
        unmarked.join("\n")
    );
}

pub fn lines_left_out_and_cut_short() {
    let lines = |lines: &[&str]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
    // "c d e" is shown in two pieces, as the book breaks a wide line.
    let real = vec![
        lines(&["a"]),
        lines(&["b"]),
        lines(&["c d", "    e"]),
        lines(&["f"]),
    ];
    assert!(shows(&lines(&["a", "...", "f"]), &real));
    assert!(shows(&lines(&["...", "c d ...", "f"]), &real));
    assert!(shows(
        &lines(&["a", "b", "...", "c d", "    e", "f"]),
        &real
    ));
    assert!(shows(&lines(&["a", "b", "c ...", "..."]), &real));
    assert!(!shows(&lines(&["a", "f"]), &real));
    assert!(!shows(&lines(&["a", "..."]), &real[..0]));
    assert!(!shows(&lines(&["...", "x"]), &real));
    assert!(!shows(&lines(&["a", "b", "c d", "f"]), &real));
    assert!(!shows(&lines(&["a", "b", "c d ..."]), &real));
}

pub fn wide_lines_broken_as_the_book_shows_them() {
    let line = format!("      {} tail", "word ".repeat(17).trim_end());
    let pieces = wrap(&line);
    assert!(
        pieces.iter().all(|p| p.chars().count() <= PAGE),
        "{pieces:?}"
    );
    assert_eq!(pieces.len(), 2, "{pieces:?}");
    assert!(pieces[1].starts_with("          word"), "{pieces:?}");
    assert_eq!(pieces.concat().split_whitespace().count(), 18);
    assert_eq!(wrap("short"), ["short"]);
}
