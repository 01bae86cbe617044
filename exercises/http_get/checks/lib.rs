//! Checks for http_get: an HTTP/1.1 GET written by hand over a TcpStream. The student's
//! program fetches from the awkward servers of peers/http.rs, which record each request
//! head as it arrived and answer in every way HTTP allows (and some it does not).
//!
//! The checks live in files of one concept: `request` (the command line, the URL, and
//! the request as the server received it), `body` (where a body ends, and how it is
//! copied), `response` (status codes, interim answers, heads, timeouts) and `redirects`.
//! This file holds what they share: running the program against a server, and the drawn
//! paths, queries and bodies.

mod peer;

mod body;
mod redirects;
mod request;
mod response;
mod scenarios;
mod timeouts;

use std::time::Duration;

use fastrand::Rng;

use crate::peer::{Received, Server};
use harness::draw;
use harness::expect;
use harness::{Check, Ctx, Exercise, Failure, Output};

pub static EXERCISE: Exercise = Exercise {
    name: "http_get",
    bins: &["http_get"],
    chapter: "http_get.md",
    checks: CHECKS,
    contract: include_str!("contract.md"),
    matrix: include_str!("matrix.md"),
};

static CHECKS: &[Check] = &[
    Check::new("usage_errors", "#the-command-line", request::usage_errors).covers(&["H2"]),
    Check::new("bad_url", "#the-url", request::bad_url).covers(&["H3", "H4"]),
    Check::new(
        "https_needs_tls",
        "#why-https-needs-tls",
        request::https_needs_tls,
    )
    .covers(&["H5"]),
    Check::new(
        "request_path_and_query",
        "#a-request-on-the-wire",
        request::path_and_query,
    )
    .covers(&["H3", "H7"]),
    Check::new(
        "request_host_header",
        "#a-request-on-the-wire",
        request::host_header,
    )
    .covers(&["H3", "H8"]),
    Check::new(
        "host_name_resolved",
        "#the-url",
        request::host_name_resolved,
    )
    .covers(&["H3", "H6", "H8"]),
    Check::new(
        "request_crlf_line_ends",
        "#a-request-on-the-wire",
        request::crlf_line_ends,
    )
    .covers(&["H9"]),
    Check::new("ipv6_literal_host", "#the-url", request::ipv6_literal_host).covers(&["H3", "H8"]),
    Check::new(
        "body_content_length",
        "#where-a-body-ends",
        body::content_length,
    )
    .covers(&["H1", "H10", "H11", "H16"]),
    Check::new("body_until_close", "#where-a-body-ends", body::until_close).covers(&["H10", "H17"]),
    Check::new("body_chunked", "#where-a-body-ends", body::chunked).covers(&["H11", "H14"]),
    Check::new(
        "chunked_extensions_and_trailers",
        "#where-a-body-ends",
        body::chunked_extensions_and_trailers,
    )
    .covers(&["H15"]),
    Check::new(
        "stops_when_body_complete",
        "#where-a-body-ends",
        body::stops_when_body_complete,
    )
    .covers(&["H10", "H11", "H14", "H16", "H19"]),
    Check::new("body_binary", "#bytes-not-text", body::binary).covers(&["H1", "H20"]),
    Check::new(
        "body_large_flat_memory",
        "#bytes-not-text",
        body::large_flat_memory,
    )
    .covers(&["H20"]),
    Check::new(
        "body_shorter_than_promised",
        "#a-body-that-ends-early",
        body::shorter,
    )
    .covers(&["H21"]),
    Check::new(
        "chunked_body_cut_off",
        "#a-body-that-ends-early",
        body::chunked_cut_off,
    )
    .covers(&["H22"]),
    Check::new(
        "head_one_byte_at_a_time",
        "#a-response-on-the-wire",
        response::head_one_byte_at_a_time,
    )
    .covers(&["H10"]),
    Check::new(
        "head_over_64k",
        "#a-response-on-the-wire",
        response::head_over_64k,
    )
    .covers(&["H12"]),
    Check::new(
        "interim_1xx_skipped",
        "#a-response-on-the-wire",
        response::interim_skipped,
    )
    .covers(&["H13"]),
    Check::new(
        "no_body_204_304",
        "#where-a-body-ends",
        response::no_body_204_304,
    )
    .covers(&["H18"]),
    Check::new("success_2xx", "#status-codes", response::success_2xx).covers(&["H23"]),
    Check::new(
        "error_status_body_and_exit",
        "#status-codes",
        response::error_status,
    )
    .covers(&["H10", "H24"]),
    Check::new(
        "verbose_shows_heads",
        "#what-curl--v-shows",
        response::verbose,
    )
    .covers(&["H29"]),
    Check::new("timeout_honoured", "#timeouts", timeouts::timeout_honoured).covers(&["H27"]),
    Check::new("timeout_per_read", "#timeouts", timeouts::timeout_per_read).covers(&["H28"]),
    Check::new("redirect_relative", "#redirects", redirects::relative).covers(&["H25"]),
    Check::new("redirect_absolute", "#redirects", redirects::absolute).covers(&["H8", "H25"]),
    Check::new("redirect_every_code", "#redirects", redirects::every_code).covers(&["H11", "H25"]),
    Check::new("redirect_limit", "#redirects", redirects::limit).covers(&["H26"]),
    Check::new("scenarios_servers", "#the-checks", scenarios::servers).covers(&[
        "H1", "H10", "H11", "H13", "H14", "H15", "H16", "H17", "H18", "H19", "H23", "H24", "H25",
    ]),
];

/// How long one run of http_get may take when nothing is wrong (most take milliseconds).
const RUN: Duration = Duration::from_secs(10);
/// The limit for runs where a wrong program waits for something that never comes (a
/// close, a body): long enough for a slow machine, short enough to keep a failing
/// check quick.
const HANG: Duration = Duration::from_secs(3);

/// What a run of the student's http_get did, and what its server saw.
pub(crate) struct Fetched {
    pub output: Output,
    pub requests: Vec<Received>,
}

/// Run the student's http_get with `options` on `http://ADDR{target}` (ADDR the server's),
/// within `limit`, then stop the server.
pub(crate) fn fetch(
    ctx: &Ctx,
    server: Server,
    options: &[String],
    target: &str,
    limit: Duration,
) -> Result<Fetched, Failure> {
    let url = format!("http://{}{target}", server.addr());
    fetch_url(ctx, server, options, &url, limit)
}

/// [`fetch`], with the URL given whole.
pub(crate) fn fetch_url(
    ctx: &Ctx,
    server: Server,
    options: &[String],
    url: &str,
    limit: Duration,
) -> Result<Fetched, Failure> {
    let mut shown = options.to_vec();
    shown.push(url.to_string());
    ctx.step(format!("http_get {} started", shown.join(" ")));
    let output = ctx
        .student("http_get")
        .args(options)
        .arg(url)
        .timeout(limit)
        .run()?;
    let served = server.finish();
    Ok(Fetched {
        output,
        requests: served.requests,
    })
}

/// The run ended by itself, in time: a wrong program that waits for what never comes is
/// killed at its limit, and that is what this says, with `why` the reason it should have
/// stopped.
pub(crate) fn not_hung(output: &Output, why: &str) -> Result<(), Failure> {
    if !output.timed_out {
        return Ok(());
    }
    Err(Failure::expected(
        format!("http_get to finish by itself: {why}"),
        format!(
            "it was still running after {} ms, and was killed",
            output.elapsed.as_millis()
        ),
    )
    .with_run(output))
}

/// A fetch that went right: exit 0 and stdout exactly `body`.
pub(crate) fn body_is(output: &Output, body: &[u8], why: &str) -> Result<(), Failure> {
    expect::stdout_is(output, body, why)?;
    expect::exit_code(output, 0, "the server answered 200 OK")
}

/// The one request a check's server got, or a failure saying there was none.
pub(crate) fn one_request<'a>(fetched: &'a Fetched, what: &str) -> Result<&'a Received, Failure> {
    fetched.requests.first().ok_or_else(|| {
        Failure::expected(
            format!("a request at the server ({what})"),
            "http_get never connected, or sent nothing",
        )
        .with_run(&fetched.output)
    })
}

/// A path of 1 to 3 drawn segments, some with characters a URL escapes, some ending
/// in `/`: `/k2x9/caf%C3%A9.txt`.
pub(crate) fn path(rng: &mut Rng) -> String {
    const ODD: &[&str] = &[
        "%20", "%C3%A9", "~", "-", "_", ".", "%2F", "!", "$", "@", ",",
    ];
    let segments = rng.usize(1..=3);
    let mut path = String::new();
    for _ in 0..segments {
        path.push('/');
        path.push_str(&draw::short_word(rng));
        if rng.u8(..3) == 0 {
            path.push_str(ODD[rng.usize(..ODD.len())]);
            path.push_str(&draw::word(rng, 2));
        }
    }
    match rng.u8(..4) {
        0 => path.push('/'),
        1 => path.push_str(".txt"),
        _ => {}
    }
    path
}

/// A query of 1 to 3 drawn fields: `q=w0rd&x=%2Fa+b&flag`.
pub(crate) fn query(rng: &mut Rng) -> String {
    let fields = rng.usize(1..=3);
    (0..fields)
        .map(|_| {
            let name = draw::short_word(rng);
            match rng.u8(..4) {
                0 => name,
                1 => format!("{name}=%2F{}+{}", draw::word(rng, 3), draw::word(rng, 2)),
                _ => format!("{name}={}", draw::short_word(rng)),
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A path, with a query half the time.
pub(crate) fn target(rng: &mut Rng) -> String {
    let path = path(rng);
    match rng.bool() {
        true => format!("{path}?{}", query(rng)),
        false => path,
    }
}

/// A few lines of drawn words, each ending in a newline, sometimes with wider characters.
pub(crate) fn text(rng: &mut Rng) -> Vec<u8> {
    let lines = rng.usize(1..=6);
    let mut text = String::new();
    for _ in 0..lines {
        let words = rng.usize(1..=8);
        let mut line: Vec<String> = (0..words).map(|_| draw::short_word(rng)).collect();
        if rng.u8(..3) == 0 {
            line.push(draw::unicode_text(rng, 4));
        }
        text.push_str(&line.join(" "));
        text.push('\n');
    }
    text.into_bytes()
}

/// A header name as servers spell it, every way in every run: as the RFC does, all lower
/// case (what proxies in front of HTTP/2 send), all upper case, and mixed (drawn). Names
/// are case-insensitive: a client that looks up `Content-Length` exactly misses the rest.
pub(crate) fn spellings(rng: &mut Rng, name: &str) -> [String; 4] {
    let plain = [
        name.to_string(),
        name.to_ascii_lowercase(),
        name.to_ascii_uppercase(),
    ];
    let mixed = loop {
        let mixed: String = name
            .chars()
            .map(|c| match rng.bool() {
                true => c.to_ascii_uppercase(),
                false => c.to_ascii_lowercase(),
            })
            .collect();
        if !plain.contains(&mixed) {
            break mixed;
        }
    };
    let [exact, lower, upper] = plain;
    [exact, lower, upper, mixed]
}

/// `text`'s bytes to show in a step: `5 bytes "hello"`.
pub(crate) fn shown(bytes: &[u8]) -> String {
    harness::bytes::show(bytes)
}
