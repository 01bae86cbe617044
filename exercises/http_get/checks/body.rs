//! Checks of the body: its three ends (Content-Length, chunked, the close), a server that
//! keeps the connection open after it, bytes that are not text, a body bigger than the
//! memory a client may use, and bodies that end before they said they would.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::peer::{self as http, BLOCK, Server, Step};
use harness::draw;
use harness::expect;
use harness::memory;
use harness::{Ctx, Failure};

use super::{HANG, RUN, body_is, fetch, not_hung, shown, spellings, target, text};

/// The memory a client copying a 63 to 64 MiB body may use at its peak.
const MEMORY_LIMIT: u64 = 32 << 20;

/// A block of drawn text, [`BLOCK`] bytes long: the big body is made of its rotations.
/// Text, so that a failure's excerpt of stdout reads as lines.
fn text_block(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut block = Vec::with_capacity(BLOCK + 100);
    while block.len() < BLOCK {
        block.extend_from_slice(&text(rng));
    }
    block.truncate(BLOCK);
    block
}

/// A drawn text body of at least `min` bytes.
fn long_text(ctx: &Ctx, min: usize) -> Vec<u8> {
    let mut rng = ctx.rng();
    let mut body = Vec::new();
    while body.len() < min {
        body.extend_from_slice(&text(&mut rng));
    }
    body
}

/// Chunk sizes adding up to about `len`, drawn: some of one byte, some large.
fn sizes(ctx: &Ctx, len: usize) -> Vec<usize> {
    let mut rng = ctx.rng();
    let mut sizes = Vec::new();
    let mut total = 0;
    while total < len {
        let size = match rng.u8(..4) {
            0 => 1,
            1 => rng.usize(2..=16),
            _ => rng.usize(17..=(len / 3).max(17)),
        };
        sizes.push(size);
        total += size;
    }
    sizes
}

/// The ways a server writes a header's value: `name: value`, without the space, and with
/// spaces and tabs round it (optional whitespace, which is not part of the value).
pub(crate) fn header_line(form: usize, name: &str, value: &str) -> String {
    match form % 3 {
        0 => format!("{name}: {value}"),
        1 => format!("{name}:{value}"),
        _ => format!("{name}: \t {value} \t"),
    }
}

/// The HTTP version of a server: both in every run (Python's http.server says
/// `HTTP/1.0` to every request).
pub(crate) const VERSIONS: [&str; 2] = ["HTTP/1.1", "HTTP/1.0"];

pub(super) fn content_length(ctx: &Ctx) -> Result<(), Failure> {
    let (target, names, lengths) = {
        let mut rng = ctx.rng();
        let target = target(&mut rng);
        let names = spellings(&mut rng, "Content-Length");
        // Every class of size: none, one byte, some, round a read buffer's size (8 KiB,
        // 64 KiB: one byte under, on it, one over), more than any buffer holds.
        let lengths = [
            0,
            1,
            rng.usize(200..=2_000),
            8192 + rng.usize(..3) - 1,
            65_536 + rng.usize(..3) - 1,
            rng.usize(150_000..=300_000),
        ];
        (target, names, lengths)
    };
    // ASCII: a body cut at any length stays text (a cut character would be a class of
    // its own, body_binary's).
    let mut text = long_text(ctx, lengths[5]);
    text.retain(u8::is_ascii);
    while text.len() < lengths[5] {
        text.extend_from_slice(b"-\n");
    }
    // The last case repeats the header with the same value (a proxy's copy).
    for (i, &length) in lengths.iter().enumerate() {
        let body = &text[..length];
        let version = VERSIONS[i % 2];
        let mut lines = vec![header_line(i, &names[i % 4], &length.to_string())];
        if i == lengths.len() - 1 {
            lines.push(format!("{}: {length}", names[(i + 1) % 4]));
        }
        let mut response = http::head_lines(&format!("{version} 200 OK"), &lines);
        response.extend_from_slice(body);
        let server = Server::always("127.0.0.1:0", vec![Step::Write(response)])?;
        ctx.step(format!(
            "the server answers `{version} 200 OK` with {} and {}, then closes",
            lines
                .iter()
                .map(|l| format!("{l:?}"))
                .collect::<Vec<_>>()
                .join(" and "),
            shown(body)
        ));
        let fetched = fetch(ctx, server, &[], &target, RUN)?;
        body_is(
            &fetched.output,
            body,
            "the body, byte for byte, and nothing else: from HTTP/1.0 and HTTP/1.1 servers \
             alike, header names in any case, spaces round a value not part of it",
        )?;
    }
    Ok(())
}

pub(super) fn until_close(ctx: &Ctx) -> Result<(), Failure> {
    let target = target(&mut ctx.rng());
    let body = long_text(ctx, 200);
    // An HTTP/1.0 server's answer (Python's http.server says HTTP/1.0 to every request),
    // an HTTP/1.1 one that says it closes, and an empty body: every run tries all three.
    let cases: [(&str, Vec<String>, &[u8]); 3] = [
        ("HTTP/1.0", vec![], &body),
        ("HTTP/1.1", vec!["Connection: close".into()], &body),
        ("HTTP/1.0", vec![], b""),
    ];
    for (version, lines, body) in cases {
        let mut response = http::head_lines(&format!("{version} 200 OK"), &lines);
        response.extend_from_slice(body);
        let server = Server::always("127.0.0.1:0", vec![Step::Write(response)])?;
        ctx.step(format!(
            "the server answers `{version} 200 OK`{} with neither Content-Length nor \
             chunked: {}, then closes",
            match lines.first() {
                Some(line) => format!(" and `{line}`"),
                None => String::new(),
            },
            shown(body)
        ));
        let fetched = fetch(ctx, server, &[], &target, RUN)?;
        body_is(
            &fetched.output,
            body,
            "with no Content-Length and no chunked, the body is everything until the close",
        )?;
    }
    Ok(())
}

/// How a chunked size line writes its size: hex in lower case, in upper case, with
/// leading zeros.
fn size_digits(form: usize, size: usize) -> String {
    match form {
        1 => format!("{size:X}"),
        2 => format!("00{size:x}"),
        _ => format!("{size:x}"),
    }
}

pub(super) fn chunked(ctx: &Ctx) -> Result<(), Failure> {
    let (target, names, min, first, big, wrong_length) = {
        let mut rng = ctx.rng();
        (
            target(&mut rng),
            spellings(&mut rng, "Transfer-Encoding"),
            rng.usize(90_000..=120_000),
            rng.usize(10..=15),
            rng.usize(70_000..=80_000),
            rng.usize(1..=5_000),
        )
    };
    let body = long_text(ctx, min);
    // Every run: a chunk whose size is a hex letter, one of 1 byte, one bigger than any
    // read buffer, then drawn sizes.
    let mut sizes = vec![first, 1, big];
    sizes.extend(self::sizes(ctx, body.len() - first - 1 - big));
    let forms = [
        "its sizes in lower-case hex",
        "its sizes in upper-case hex",
        "its sizes with leading zeros",
        "and a wrong `Content-Length` beside it: chunked wins",
    ];
    for (i, form) in forms.iter().enumerate() {
        let value = ["chunked", "Chunked", "CHUNKED", "chunked"][i];
        let mut lines = vec![format!("{}: {value}", names[i])];
        if i == 3 {
            lines.insert(0, format!("Content-Length: {wrong_length}"));
        }
        let mut response = http::head_lines("HTTP/1.1 200 OK", &lines);
        let framed = http::chunked_lines(&body, &sizes, |_, s| size_digits(i, s), &[]);
        response.extend_from_slice(&framed);
        let server = Server::always("127.0.0.1:0", vec![Step::Write(response)])?;
        let first_line = framed.split(|&b| b == b'\r').next().unwrap_or_default();
        ctx.step(format!(
            "the server answers 200 with {}, {} in {} chunks, {form} (the first size line: \
             {}), then closes",
            lines
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(" and "),
            shown(&body),
            sizes.len(),
            shown(first_line),
        ));
        let fetched = fetch(ctx, server, &[], &target, RUN)?;
        body_is(
            &fetched.output,
            &body,
            "the chunks' data joined, without the size lines and CRLFs around them",
        )?;
    }
    Ok(())
}

pub(super) fn chunked_extensions_and_trailers(ctx: &Ctx) -> Result<(), Failure> {
    let target = target(&mut ctx.rng());
    let body = long_text(ctx, 300);
    let sizes = sizes(ctx, body.len());
    let (names, values, trailers) = {
        let mut rng = ctx.rng();
        let names: Vec<String> = (0..4).map(|_| draw::short_word(&mut rng)).collect();
        let values: Vec<String> = (0..4).map(|_| draw::short_word(&mut rng)).collect();
        let trailers: Vec<(String, String)> = (0..rng.usize(1..=3))
            .map(|_| {
                let name = format!("X-{}", draw::short_word(&mut rng));
                (name, draw::short_word(&mut rng))
            })
            .collect();
        (names, values, trailers)
    };
    let extension = |i: usize| match i % 3 {
        0 => format!(";{}={}", names[i % 4], values[i % 4]),
        1 => format!(";{}", names[i % 4]),
        _ => format!(" ;{}=\"{}\"", names[i % 4], values[i % 4]),
    };
    let trailer_refs: Vec<(&str, String)> = trailers
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    let mut response = http::head(200, "OK", &[("Transfer-Encoding", "chunked".into())]);
    let chunked = http::chunked(&body, &sizes, extension, &trailer_refs);
    response.extend_from_slice(&chunked);
    let server = Server::always("127.0.0.1:0", vec![Step::Write(response)])?;
    let first_line = chunked.split(|&b| b == b'\r').next().unwrap_or_default();
    ctx.step(format!(
        "the server answers 200, chunked, {} in {} chunks whose size lines carry \
         extensions (the first: {}), then {} trailer(s) (`{}: {}`), then closes",
        shown(&body),
        sizes.len(),
        shown(first_line),
        trailers.len(),
        trailers[0].0,
        trailers[0].1
    ));
    let fetched = fetch(ctx, server, &[], &target, RUN)?;
    body_is(
        &fetched.output,
        &body,
        "the chunks' data: a size line's extensions (after `;`) are ignored, and the \
         trailers after the last chunk are read and dropped",
    )
}

pub(super) fn stops_when_body_complete(ctx: &Ctx) -> Result<(), Failure> {
    let (target, te, cl) = {
        let mut rng = ctx.rng();
        (
            target(&mut rng),
            spellings(&mut rng, "Transfer-Encoding"),
            spellings(&mut rng, "Content-Length"),
        )
    };
    let body = long_text(ctx, 200);
    let sizes = sizes(ctx, body.len());
    let with_length = |version: &str, name: &str, extra: &[String], body: &[u8]| {
        let mut lines = extra.to_vec();
        lines.push(format!("{name}: {}", body.len()));
        let mut response = http::head_lines(&format!("{version} 200 OK"), &lines);
        response.extend_from_slice(body);
        (response, format!("`{name}: {}`", body.len()))
    };
    let with_chunks = |name: &str, body: &[u8]| {
        let mut response = http::head(200, "OK", &[(name, "chunked".into())]);
        response.extend_from_slice(&http::chunked(body, &sizes, |_| String::new(), &[]));
        (
            response,
            format!("`{name}: chunked`, its last chunk of size 0"),
        )
    };
    let keep_alive = ["Connection: keep-alive".to_string()];
    let empty: &[u8] = b"";
    let framings = [
        (
            with_length("HTTP/1.1", &cl[0], &[], &body),
            "HTTP/1.1",
            &body[..],
        ),
        (with_chunks(&te[1], &body), "HTTP/1.1", &body[..]),
        (
            with_length("HTTP/1.0", &cl[2], &keep_alive, &body),
            "HTTP/1.0 with `Connection: keep-alive`",
            &body[..],
        ),
        (
            with_length("HTTP/1.1", &cl[3], &[], empty),
            "HTTP/1.1",
            empty,
        ),
        (with_chunks(&te[2], empty), "HTTP/1.1", empty),
    ];
    for ((response, framing), version, body) in framings {
        let server = Server::always("127.0.0.1:0", vec![Step::Write(response), Step::Hold])?;
        ctx.step(format!(
            "the server answers {version} 200 with {framing} and {}, then keeps the \
             connection open (keep-alive)",
            shown(body)
        ));
        let fetched = fetch(ctx, server, &[], &target, HANG)?;
        not_hung(
            &fetched.output,
            &format!(
                "the body ends where {framing} says, not at the close, which a keep-alive \
                 server never sends"
            ),
        )?;
        body_is(&fetched.output, body, "the body, byte for byte")?;
    }
    Ok(())
}

pub(super) fn binary(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body) = {
        let mut rng = ctx.rng();
        let target = target(&mut rng);
        let len = rng.usize(2_000..=60_000);
        let mut body = draw::bytes(&mut rng, len);
        // What a client reading text would stumble on: an empty line, a byte that is
        // never UTF-8, a NUL.
        let at = rng.usize(..len - 8);
        body[at..at + 8].copy_from_slice(b"\r\n\r\n\xff\x00\xfe\n");
        (target, body)
    };
    served_whole(
        ctx,
        &target,
        &body,
        " of every value",
        "the bytes as they came: a body is bytes, not text (no String, no lossy UTF-8)",
    )
}

/// A server answers `target` with 200 and `body` (with its Content-Length); the client's
/// stdout must be the body, byte for byte (`why`). `what` ends the step's sentence.
fn served_whole(
    ctx: &Ctx,
    target: &str,
    body: &[u8],
    what: &str,
    why: &str,
) -> Result<(), Failure> {
    let server = Server::always(
        "127.0.0.1:0",
        vec![Step::Write(http::response(200, "OK", &[], body))],
    )?;
    ctx.step(format!(
        "the server answers 200 with `Content-Length: {}` and {}{what}",
        body.len(),
        shown(body)
    ));
    let fetched = fetch(ctx, server, &[], target, RUN)?;
    body_is(&fetched.output, body, why)
}

pub(super) fn large_flat_memory(ctx: &Ctx) -> Result<(), Failure> {
    let (target, base, len) = {
        let mut rng = ctx.rng();
        let target = target(&mut rng);
        let base = Arc::new(text_block(&mut rng));
        (target, base, 63 * BLOCK + rng.usize(..=BLOCK))
    };
    // The client's pid, known once it has started: the server waits for it (briefly)
    // before writing, to watch the client's memory as the bytes go.
    let pid = Arc::new(AtomicU32::new(0));
    let watched = Arc::clone(&pid);
    let body_base = Arc::clone(&base);
    let server = Server::start("127.0.0.1:0", move |_, _| {
        let _ = harness::wait::until(Duration::from_secs(2), || {
            (watched.load(Ordering::SeqCst) != 0).then_some(())
        });
        let watch = Some(watched.load(Ordering::SeqCst)).filter(|&p| p != 0);
        vec![
            Step::Write(http::head(
                200,
                "OK",
                &[("Content-Length", len.to_string())],
            )),
            Step::BigBody {
                base: Arc::clone(&body_base),
                len,
                watch,
            },
        ]
    })?;
    let url = format!("http://{}{target}", server.addr());
    ctx.step(format!(
        "http_get {url} started; the server answers 200 with `Content-Length: {len}` \
         ({}) of drawn text",
        memory::mib(len as u64)
    ));
    let running = ctx.student("http_get").arg(&url).timeout(RUN).spawn()?;
    pid.store(running.id(), Ordering::SeqCst);
    let output = running.wait();
    let served = server.finish();
    not_hung(&output, "the body is complete after Content-Length bytes")?;
    // Output keeps the first MiB of stdout and counts the rest.
    let total = output.stdout.len() as u64 + output.stdout_dropped;
    let kept = output.stdout.len();
    let wanted: Vec<u8> = http::big_body_block(&base, 0).concat();
    harness::expect::same_bytes(
        "the start of the body",
        &wanted[..kept.min(wanted.len())],
        &output.stdout[..kept.min(wanted.len())],
    )
    .map_err(|f| f.with_run(&output))?;
    if total != len as u64 {
        return Err(Failure::expected(
            format!("the body's {len} bytes on stdout"),
            format!("{total} bytes"),
        )
        .with_run(&output));
    }
    expect::exit_code(&output, 0, "the server answered 200 OK")?;
    harness::expect::peak_memory_under(
        served.peak_rss,
        MEMORY_LIMIT,
        &format!("fetching a body of {}", memory::mib(len as u64)),
        "copy it through a buffer as it comes: std::io::copy into stdout",
    )
    .map_err(|f| f.with_run(&output))
}

pub(super) fn shorter(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body, promised) = {
        let mut rng = ctx.rng();
        let target = target(&mut rng);
        let mut body = Vec::new();
        while body.len() < 500 {
            body.extend_from_slice(&text(&mut rng));
        }
        let promised = body.len() + rng.usize(1..=20_000);
        (target, body, promised)
    };
    // Some of the body, then the close; and the close right after the head, from a
    // server of either version.
    for (version, sent) in [("HTTP/1.1", &body[..]), ("HTTP/1.0", &body[..0])] {
        let head = http::head_of_version(
            version,
            200,
            "OK",
            &[("Content-Length", promised.to_string())],
        );
        let server = Server::always(
            "127.0.0.1:0",
            vec![Step::Write(head), Step::Write(sent.to_vec())],
        )?;
        ctx.step(format!(
            "the server answers `{version} 200 OK` with `Content-Length: {promised}`, \
             sends {} bytes, and closes",
            sent.len()
        ));
        let fetched = fetch(ctx, server, &[], &target, RUN)?;
        let line = format!("error: body ended after {} of {promised} bytes", sent.len());
        expect::exit_code(
            &fetched.output,
            1,
            "the body is shorter than its Content-Length: never a silent short file",
        )?;
        if !fetched.output.stderr_text().lines().any(|l| l == line) {
            return Err(
                Failure::expected(format!("the line {line:?} on stderr"), "no such line")
                    .with_run(&fetched.output),
            );
        }
    }
    Ok(())
}

pub(super) fn chunked_cut_off(ctx: &Ctx) -> Result<(), Failure> {
    let target = target(&mut ctx.rng());
    let body = long_text(ctx, 2_000);
    let mut sizes = sizes(ctx, body.len());
    sizes[0] = sizes[0].min(body.len() / 2);
    sizes[1] = sizes[1].clamp(2, body.len() - sizes[0]);
    let whole = http::chunked(&body, &sizes, |_| String::new(), &[]);
    // Cut cleanly after the first chunk (before the next size line), then in the middle
    // of the second chunk's data.
    let after_first = format!("{:x}\r\n", sizes[0]).len() + sizes[0] + 2;
    let second_data = after_first + format!("{:x}\r\n", sizes[1]).len();
    let into_second = ctx.rng().usize(1..sizes[1]);
    let cuts = [
        (
            after_first,
            "after a whole chunk, before the next size line",
        ),
        (second_data + into_second, "in the middle of a chunk's data"),
    ];
    for (cut, where_) in cuts {
        let mut response = http::head(200, "OK", &[("Transfer-Encoding", "chunked".into())]);
        response.extend_from_slice(&whole[..cut]);
        let server = Server::always("127.0.0.1:0", vec![Step::Write(response)])?;
        let addr = server.addr().to_string();
        ctx.step(format!(
            "the server answers 200, chunked, and closes {where_} ({cut} of the {} bytes \
             of chunks)",
            whole.len()
        ));
        let fetched = fetch(ctx, server, &[], &target, RUN)?;
        let output = &fetched.output;
        expect::clean_error(
            output,
            "a chunked body ends only with its last chunk (size 0): a close before it is \
             a body cut off, never a silent short file",
        )?;
        let came = data_before(&whole, cut);
        // The URL's numbers (the address, the port, drawn digits in the path) are no
        // count of bytes.
        let says_how_much = output.stderr_text().lines().any(|line| {
            line.starts_with("error:")
                && line
                    .replace(&addr, " ")
                    .replace(&target, " ")
                    .split(|c: char| !c.is_ascii_digit())
                    .any(|number| number == came.to_string())
        });
        if !says_how_much {
            return Err(Failure::expected(
                format!(
                    "an `error: ...` line saying how much of the body came before the cut \
                     ({came} bytes), as `error: body ended after N of M bytes` does for \
                     Content-Length"
                ),
                "no `error:` line with that number",
            )
            .with_run(output));
        }
    }
    Ok(())
}

/// How many bytes of body data the chunked framing `whole` carries before byte `cut`.
fn data_before(whole: &[u8], cut: usize) -> usize {
    let (mut at, mut data) = (0, 0);
    while at < cut {
        let Some(end) = whole[at..].windows(2).position(|w| w == b"\r\n") else {
            break;
        };
        let line = String::from_utf8_lossy(&whole[at..at + end]);
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        at += end + 2;
        if size == 0 {
            break;
        }
        data += size.min(cut.saturating_sub(at));
        at += size + 2;
    }
    data
}
