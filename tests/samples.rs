//! The book's sample runs are real: each `console` block that runs a reference program
//! (`$ cargo run -q -p <ex> --bin <bin>_sol -- ARGS`) and shows its output is run again
//! here, from the checkout's root as the reader would, and must print what the book
//! shows. `NETLAB_BLESS=1 cargo test --test samples` writes the real output into the
//! chapter (then read the diff). A folder's size is the file system's (4096 on ext4): on
//! another one, bless and leave that line out of the commit.

use std::fs;
use std::path::Path;
use std::time::Duration;

use harness::Cmd;
use netlab_tests::{reference_bins, workspace};

/// One sample: where it is, the command line, the output the book shows.
struct Sample {
    chapter: String,
    /// Line number (from 0) of the `$ ` line in the chapter.
    line: usize,
    bin: String,
    args: Vec<Vec<u8>>,
    shown: Vec<String>,
}

/// Every sample run of a reference program in `text` that shows output.
fn samples(chapter: &str, text: &str) -> Vec<Sample> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut in_console = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("```") {
            in_console = !in_console && line.trim() == "```console";
            i += 1;
            continue;
        }
        let command = line
            .strip_prefix("$ cargo run -q -p ")
            .and_then(|rest| rest.split_once(" --bin "))
            .and_then(|(_, rest)| rest.split_once(" -- "));
        let Some((bin, args)) = command.filter(|(bin, _)| in_console && bin.ends_with("_sol"))
        else {
            i += 1;
            continue;
        };
        let start = i;
        i += 1;
        let mut shown = Vec::new();
        while i < lines.len() && !lines[i].starts_with("$ ") && !lines[i].starts_with("```") {
            shown.push(lines[i].to_string());
            i += 1;
        }
        if !shown.is_empty() {
            found.push(Sample {
                chapter: chapter.to_string(),
                line: start,
                bin: bin.trim().to_string(),
                args: shell_words(args),
                shown,
            });
        }
    }
    found
}

/// The words of a shell command line: plain words, '...', "..." and $'...' (with `\xNN`,
/// `\n`, `\t`, `\\`, `\'` escapes), which is all the book uses.
fn shell_words(line: &str) -> Vec<Vec<u8>> {
    let mut words = Vec::new();
    let mut word: Option<Vec<u8>> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(Vec::new);
                for c in chars.by_ref().take_while(|&c| c != '\'') {
                    w.extend(c.to_string().bytes());
                }
            }
            '"' => {
                let w = word.get_or_insert_with(Vec::new);
                for c in chars.by_ref().take_while(|&c| c != '"') {
                    w.extend(c.to_string().bytes());
                }
            }
            '$' if chars.peek() == Some(&'\'') => {
                chars.next();
                let w = word.get_or_insert_with(Vec::new);
                while let Some(c) = chars.next() {
                    match c {
                        '\'' => break,
                        '\\' => match chars.next() {
                            Some('x') => {
                                let hex: String = chars.by_ref().take(2).collect();
                                w.push(u8::from_str_radix(&hex, 16).expect("\\xNN in a sample"));
                            }
                            Some('n') => w.push(b'\n'),
                            Some('t') => w.push(b'\t'),
                            Some(other) => w.extend(other.to_string().bytes()),
                            None => break,
                        },
                        c => w.extend(c.to_string().bytes()),
                    }
                }
            }
            c => word
                .get_or_insert_with(Vec::new)
                .extend(c.to_string().bytes()),
        }
    }
    words.extend(word);
    words
}

/// What the reader sees: the program's stdout, then its stderr (the samples print their
/// errors last), as lines.
fn run(sample: &Sample) -> Vec<String> {
    let bins = reference_bins().unwrap_or_else(|e| panic!("the references do not build: {e}"));
    let program = bins.join(&sample.bin);
    // `cargo run` starts it from the checkout's root as target/debug/<bin>, and the book
    // shows that argv[0]: a folder that looks like the root (its entries linked) with
    // the reference binary at target/debug/<bin>.
    let root = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(workspace().root()).unwrap() {
        let name = entry.unwrap().file_name();
        if name != "target" {
            std::os::unix::fs::symlink(workspace().root().join(&name), root.path().join(&name))
                .unwrap();
        }
    }
    let debug = root.path().join("target").join("debug");
    fs::create_dir_all(&debug).unwrap();
    std::os::unix::fs::symlink(&program, debug.join(&sample.bin)).unwrap();
    let args: Vec<std::ffi::OsString> = sample
        .args
        .iter()
        .map(|a| std::os::unix::ffi::OsStringExt::from_vec(a.clone()))
        .collect();
    let output = Cmd::new(Path::new("target/debug").join(&sample.bin))
        .args(&args)
        .cwd(root.path())
        .timeout(Duration::from_secs(10))
        .run()
        .expect("the reference starts");
    let mut text = output.stdout_text();
    text.push_str(&output.stderr_text());
    text.lines().map(str::to_string).collect()
}

#[test]
fn sample_runs_print_what_the_book_shows() {
    let src = workspace().root().join("book").join("src");
    let bless = std::env::var_os("NETLAB_BLESS").is_some();
    let mut wrong = Vec::new();
    let mut count = 0;
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "md") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        // From the last, so that rewriting one keeps the line numbers of the others.
        for sample in samples(&name, &text).into_iter().rev() {
            count += 1;
            let real = run(&sample);
            if real != sample.shown {
                wrong.push(format!(
                    "{}:{}: the book shows\n{}\nbut the program prints\n{}",
                    sample.chapter,
                    sample.line + 1,
                    sample.shown.join("\n"),
                    real.join("\n")
                ));
                let first = sample.line + 1;
                lines.splice(first..first + sample.shown.len(), real);
            }
        }
        if bless && lines.join("\n") + "\n" != text {
            fs::write(&path, lines.join("\n") + "\n").unwrap();
        }
    }
    assert!(count >= 3, "found only {count} sample runs in the book");
    assert!(
        bless || wrong.is_empty(),
        "{}\n\nIf the programs are right, `NETLAB_BLESS=1 cargo test --test samples` \
         writes their real output into the book.",
        wrong.join("\n\n")
    );
}

#[test]
fn shell_words_as_bash_reads_them() {
    assert_eq!(
        shell_words(r#"hello "big world" '' $'ab\xffcd'"#),
        [
            b"hello".to_vec(),
            b"big world".to_vec(),
            b"".to_vec(),
            b"ab\xffcd".to_vec()
        ]
    );
}
