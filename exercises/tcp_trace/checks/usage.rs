//! The command line and the files tcp_peek must refuse: no argument, too many, an unknown
//! option (a usage error, exit 2); a file that cannot be opened (exit 1); a file that is
//! not a classic pcap, each kind in every run (exit 2, nothing printed).

use harness::draw;
use harness::expect;
use harness::{Ctx, Failure};

use super::peek::{capture_file, run};

pub(super) fn usage_errors(ctx: &Ctx) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let (name, option) = {
        let mut rng = ctx.rng();
        (
            format!("{}.pcap", draw::short_word(&mut rng)),
            format!("--{}", draw::short_word(&mut rng)),
        )
    };
    // A real capture, so that only the arguments are wrong.
    let file = capture_file(dir.path(), &name, &empty_capture(1))?;
    let file = file.as_os_str();
    let cases: [(Vec<&std::ffi::OsStr>, String); 5] = [
        (vec![], "no FILE given".to_string()),
        (
            vec![file, file],
            "two FILEs: tcp_peek reads one capture".to_string(),
        ),
        (
            vec![option.as_ref(), file],
            format!("`{option}` is not an option tcp_peek knows (only --summary)"),
        ),
        (
            vec![option.as_ref()],
            format!("`{option}` alone: an option tcp_peek does not know, and no FILE"),
        ),
        (
            vec!["--summary".as_ref()],
            "`--summary` alone: no FILE to summarise".to_string(),
        ),
    ];
    for (args, why) in cases {
        let output = run(ctx, &args)?;
        expect::usage_error(&output, "tcp_peek", &why)?;
        expect::stdout_is(&output, b"", "a usage error prints nothing on stdout")?;
    }
    Ok(())
}

pub(super) fn missing_file_is_an_error(ctx: &Ctx) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let (name, folder) = {
        let mut rng = ctx.rng();
        (
            format!("{}.pcap", draw::short_word(&mut rng)),
            format!("{}.pcap", draw::short_word(&mut rng)),
        )
    };
    let path = dir.path().join(&name);
    let output = run(ctx, &[path.as_os_str()])?;
    expect::clean_error(&output, &format!("{name} does not exist"))?;
    expect::stdout_is(&output, b"", "nothing to print from a file never opened")?;
    // A folder opens on Linux; reading it is what fails.
    let path = dir.path().join(&folder);
    std::fs::create_dir(&path)?;
    let output = run(ctx, &[path.as_os_str()])?;
    expect::clean_error(
        &output,
        &format!("{folder} is a folder, not a file to read"),
    )?;
    expect::stdout_is(&output, b"", "nothing to print from a folder")
}

/// A pcap file header and no record: `linktype` as given, little-endian, microseconds.
pub(super) fn empty_capture(linktype: u32) -> Vec<u8> {
    let mut header = Vec::with_capacity(24);
    header.extend(0xa1b2_c3d4u32.to_le_bytes());
    header.extend(2u16.to_le_bytes());
    header.extend(4u16.to_le_bytes());
    header.extend([0u8; 8]);
    header.extend(262_144u32.to_le_bytes());
    header.extend(linktype.to_le_bytes());
    header
}

pub(super) fn not_a_capture_is_refused(ctx: &Ctx) -> Result<(), Failure> {
    let dir = tempfile::tempdir()?;
    let (text, short, magic, linktype) = {
        let mut rng = ctx.rng();
        let text = format!("{}\n", draw::unicode_text(&mut rng, 30));
        let short = rng.usize(1..24);
        // Any 32-bit number but pcap's four magics.
        let magic = loop {
            let m = rng.u32(..);
            if ![0xa1b2_c3d4, 0xd4c3_b2a1, 0xa1b2_3c4d, 0x4d3c_b2a1].contains(&m) {
                break m;
            }
        };
        let linktype = [105, 127, 228, 276][rng.usize(..4)];
        (text, short, magic, linktype)
    };
    let good = empty_capture(1);
    let mut wrong_magic = good.clone();
    wrong_magic[..4].copy_from_slice(&magic.to_le_bytes());
    // pcapng's section header block: its type, its length, its byte-order magic.
    let mut pcapng = vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a];
    pcapng.extend([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    pcapng.extend([28, 0, 0, 0]);
    let kinds: [(&str, Vec<u8>, String); 6] = [
        (
            "empty",
            Vec::new(),
            "an empty file has no pcap header".into(),
        ),
        (
            "short",
            good[..short].to_vec(),
            format!("{short} bytes: shorter than the 24-byte pcap header"),
        ),
        (
            "text",
            text.into_bytes(),
            "a text file is not a capture".into(),
        ),
        (
            "magic",
            wrong_magic,
            format!("magic number 0x{magic:08x} is none of pcap's"),
        ),
        (
            "pcapng",
            pcapng,
            "a pcapng file (Wireshark's default): tcp_peek reads classic pcap only".into(),
        ),
        (
            "linktype",
            empty_capture(linktype),
            format!("link type {linktype}: tcp_peek reads 1, 113 and 101 only"),
        ),
    ];
    for (kind, bytes, why) in kinds {
        let path = capture_file(dir.path(), &format!("{kind}.pcap"), &bytes)?;
        let output = run(ctx, &[path.as_os_str()])?;
        ctx.step(format!("{kind}.pcap: {why}"));
        expect::exit_code(&output, 2, &format!("not a capture tcp_peek reads: {why}"))?;
        expect::stderr_line_starting(&output, "error: ", "say why on stderr")?;
        expect::stdout_is(&output, b"", "no line from a file that is not a capture")?;
    }
    Ok(())
}
