//! The names a receiver is sent: hostile ones from families (traversal, absolute paths,
//! separators, NUL, `.`/`..`, empty, overlong in bytes, not UTF-8, data glued on), every
//! form of each in every run, their words drawn, so that a deny-list of the names one run
//! tried fails the next; and legal but unusual ones (spaces at either end, wide
//! characters, exactly 255 bytes, a leading dash, dots) that must be accepted, so that
//! refusing too much fails too.

use std::path::{Path, PathBuf};

use fastrand::Rng;

use harness::draw;

/// A hostile name, what it is, and where a receiver that took it as a path would have
/// written outside the check's folder (beside DIR is seen anyway; these are farther).
pub(super) struct Hostile {
    pub name: Vec<u8>,
    pub what: &'static str,
    pub escape: Option<PathBuf>,
}

/// Hostile names for a receiver serving `root/inbox`: every form of every family, in a
/// drawn order (the words in them drawn too): a receiver that misses one form fails in
/// every run, not in the runs that happened to draw it.
pub(super) fn hostile(rng: &mut Rng, root: &Path) -> Vec<Hostile> {
    let mut names = Vec::new();
    names.extend(traversal(rng, root));
    names.extend(absolute(rng, root));
    names.extend(separators(rng));
    names.extend(nul(rng));
    names.push(plain(b".", "the folder itself"));
    names.push(plain(b"..", "the parent folder"));
    names.push(plain(b"", "an empty name (the sender half-closed at once)"));
    // The length limit is 255 BYTES: names short in characters, too long in bytes.
    names.extend(overlong(rng));
    names.extend(not_utf8(rng));
    names.push(glued(rng));
    draw::shuffled(rng, names)
}

fn plain(name: &[u8], what: &'static str) -> Hostile {
    Hostile {
        name: name.to_vec(),
        what,
        escape: None,
    }
}

fn word(rng: &mut Rng) -> String {
    let len = rng.usize(6..=10);
    draw::word(rng, len)
}

fn traversal(rng: &mut Rng, root: &Path) -> Vec<Hostile> {
    let (a, b, c) = (word(rng), word(rng), format!("netlab-{}", word(rng)));
    let two_up = root.parent().map(|up| up.join(&c));
    vec![
        plain(
            format!("../{a}").as_bytes(),
            "a path climbing out of the folder",
        ),
        plain(
            format!("{a}/../../{b}").as_bytes(),
            "a path that climbs out after entering a folder",
        ),
        plain(format!("..\\{a}").as_bytes(), "a Windows path climbing out"),
        plain(b"./..", "the parent folder, spelled ./.."),
        plain(
            format!("..\\..\\{b}").as_bytes(),
            "a Windows path climbing two up",
        ),
        Hostile {
            name: format!("../../{c}").into_bytes(),
            what: "a path climbing two folders up",
            escape: two_up,
        },
    ]
}

/// Absolute paths, all under the check's own folder or the temporary folder, so that
/// finding one proves who wrote it (and a receiver run as root writes nowhere that
/// matters).
fn absolute(rng: &mut Rng, root: &Path) -> Vec<Hostile> {
    let (a, b) = (word(rng), word(rng));
    let tmp = std::env::temp_dir().join(format!("netlab-{a}-{b}"));
    let etc = root.join("etc").join(&a);
    let beside = root.join(&b);
    let abs = |path: &Path, what| Hostile {
        name: path.to_string_lossy().into_owned().into_bytes(),
        what,
        escape: Some(path.to_path_buf()),
    };
    vec![
        abs(&beside, "an absolute path"),
        abs(&tmp, "an absolute path into the temporary folder"),
        abs(&etc, "an absolute path like /etc/passwd"),
        abs(
            &root.join(&a).join("..").join(&b),
            "an absolute path with .. inside",
        ),
    ]
}

fn separators(rng: &mut Rng) -> Vec<Hostile> {
    let (a, b) = (word(rng), word(rng));
    vec![
        plain(format!("{a}/{b}").as_bytes(), "a path with a folder"),
        plain(
            format!("{a}\\{b}").as_bytes(),
            "a Windows path with a folder",
        ),
        plain(format!("{a}/").as_bytes(), "a name ending in /"),
        plain(format!("\\{a}").as_bytes(), "a name starting with \\"),
        plain(format!("{a}\\").as_bytes(), "a name ending in \\"),
        plain(format!("{a}/.").as_bytes(), "a folder and ."),
    ]
}

fn nul(rng: &mut Rng) -> Vec<Hostile> {
    let (a, b) = (word(rng), word(rng));
    vec![
        plain(
            format!("\0{a}").as_bytes(),
            "a name starting with a NUL byte",
        ),
        plain(format!("{a}\0").as_bytes(), "a name ending in a NUL byte"),
        plain(
            format!("{a}\0{b}").as_bytes(),
            "a name with a NUL byte inside",
        ),
        plain(
            format!("{a}.txt\0.jpg").as_bytes(),
            "a name with a NUL byte before a second extension",
        ),
    ]
}

/// A name of 256 to 300 bytes made of characters `width` bytes long (1 to 4), as few
/// characters as that takes: `width` 2 gives 128 characters that are 256 bytes.
fn overlong_in_bytes(rng: &mut Rng, width: usize) -> Hostile {
    let c = loop {
        let c = if width == 1 {
            rng.alphabetic()
        } else {
            draw::wide_char(rng)
        };
        if c.len_utf8() == width {
            break c;
        }
    };
    let chars = 256usize.div_ceil(width) + rng.usize(..=40 / width);
    let what = match width {
        1 => "a name over 255 bytes",
        _ => "a name over 255 bytes in fewer than 255 characters (the limit is in bytes)",
    };
    plain(c.to_string().repeat(chars).as_bytes(), what)
}

fn overlong(rng: &mut Rng) -> Vec<Hostile> {
    (1..=4).map(|width| overlong_in_bytes(rng, width)).collect()
}

fn not_utf8(rng: &mut Rng) -> Vec<Hostile> {
    let (a, b) = (word(rng), word(rng));
    let (mut drawn, _) = draw::not_utf8(rng);
    drawn.extend_from_slice(b".txt");
    let what = "a name that is not UTF-8";
    let mut latin1 = a.clone().into_bytes();
    latin1.extend_from_slice(&[rng.u8(0xE0..=0xFF), b'.', b't', b'x', b't']);
    let mut cut = b.clone().into_bytes();
    let whole = draw::wide_char(rng).to_string();
    cut.extend_from_slice(&whole.as_bytes()[..whole.len() - 1]);
    let mut slash = a.into_bytes();
    slash.extend_from_slice(b"\xc0\xaf"); // `/` in two bytes: overlong, so not UTF-8
    slash.extend_from_slice(b.as_bytes());
    let mut surrogate = word(rng).into_bytes();
    surrogate.extend_from_slice(b"\xed\xa0\x80");
    vec![
        plain(&drawn, what),
        plain(&latin1, "a name in Latin-1, not UTF-8"),
        plain(&cut, "a name whose last character is cut short"),
        plain(
            &slash,
            "a name with `/` spelled in two bytes (invalid UTF-8)",
        ),
        plain(&surrogate, "a name with a UTF-16 surrogate (invalid UTF-8)"),
    ]
}

fn glued(rng: &mut Rng) -> Hostile {
    let mut name = format!("{}.txt", word(rng)).into_bytes();
    name.extend(draw::bytes(rng, 64 * 1024));
    plain(
        &name,
        "a name with 64 KiB of file glued on (a sender that did not wait for ok)",
    )
}

/// Legal names that look odd: each must be taken and saved under exactly that name.
pub(super) fn unusual(rng: &mut Rng) -> Vec<(String, &'static str)> {
    let (a, b) = (word(rng), word(rng));
    let wide_len = rng.usize(3..=10);
    let names = vec![
        (format!("{a} {b}.txt"), "a name with a space"),
        (format!(" {a}.txt"), "a name starting with a space"),
        (format!("{b}.txt "), "a name ending in a space"),
        (
            format!("{}.txt", draw::unicode_text(rng, wide_len)),
            "a name with characters beyond ASCII",
        ),
        (
            format!("{}.txt", draw::word(rng, 251)),
            "a name of exactly 255 bytes",
        ),
        (
            exactly_255_bytes_wide(rng),
            "a name of exactly 255 bytes in characters of several bytes",
        ),
        (format!("-{b}.txt"), "a name starting with a dash"),
        (format!("{a}..{b}"), "a name with .. inside"),
        (format!(".{b}"), "a hidden name (a leading dot)"),
        (format!("{b}."), "a name ending in a dot"),
        ("...".to_string(), "three dots"),
    ];
    draw::shuffled(rng, names)
}

/// Wide characters, then ASCII up to exactly 255 bytes with `.txt`.
fn exactly_255_bytes_wide(rng: &mut Rng) -> String {
    let c = draw::wide_char(rng);
    let mut name = c.to_string().repeat((255 - 4) / c.len_utf8());
    while name.len() < 255 - 4 {
        name.push(rng.alphabetic());
    }
    name + ".txt"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_names_have_their_shape() {
        let root = Path::new("/tmp/netlab-root");
        for seed in 0..50 {
            let mut rng = Rng::with_seed(seed);
            let hostile = hostile(&mut rng, root);
            assert_eq!(hostile.len(), 33);
            // One name always 256+ bytes yet at most 255 characters.
            assert!(hostile.iter().any(|h| {
                std::str::from_utf8(&h.name)
                    .is_ok_and(|s| s.len() > 255 && s.chars().count() <= 255)
            }));
            for (name, what) in unusual(&mut rng) {
                assert!(name.len() <= 255, "{what}: {} bytes", name.len());
                assert!(!name.contains(['/', '\\', '\0']) && name != "." && name != "..");
                if what.contains("exactly 255") {
                    assert_eq!(name.len(), 255, "{what}");
                }
            }
        }
    }
}
