//! Checks of the response's head and status: a head written one byte at a time, a head
//! too big to hold, interim 1xx answers, statuses without a body, error statuses, `-v`,
//! and a server that never answers.

use crate::peer::{self as http, Server, Step};
use harness::draw;
use harness::expect;
use harness::{Ctx, Failure};

use super::{HANG, RUN, body_is, fetch, not_hung, shown, target, text};

/// 1 to 4 drawn headers a server might send: `X-k2x9: v0rd`.
fn drawn_headers(ctx: &Ctx) -> Vec<(String, String)> {
    let mut rng = ctx.rng();
    (0..rng.usize(1..=4))
        .map(|_| {
            let name = format!("X-{}", draw::short_word(&mut rng));
            (name, draw::short_word(&mut rng))
        })
        .collect()
}

fn refs(headers: &[(String, String)]) -> Vec<(&str, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect()
}

pub(super) fn head_one_byte_at_a_time(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body) = {
        let mut rng = ctx.rng();
        (target(&mut rng), text(&mut rng))
    };
    let mut headers = drawn_headers(ctx);
    headers.push(("Content-Length".into(), body.len().to_string()));
    let head = http::head(200, "OK", &refs(&headers));
    let pause = std::time::Duration::from_millis(1);
    let server = Server::always(
        "127.0.0.1:0",
        vec![
            Step::WriteSlowly(head.clone(), pause),
            Step::Write(body.clone()),
        ],
    )?;
    ctx.step(format!(
        "the server writes the head ({} bytes) one byte per write, then the body ({})",
        head.len(),
        shown(&body)
    ));
    let fetched = fetch(ctx, server, &[], &target, RUN)?;
    body_is(
        &fetched.output,
        &body,
        "the body: a read returns whatever has arrived (here one byte), so read the head \
         line by line up to its empty line, however it was cut",
    )
}

/// A response with drawn `X-...` headers making its head `size` bytes or a little over,
/// then `body` (with its Content-Length among them).
fn big_head(ctx: &Ctx, size: usize, body: &[u8]) -> Vec<u8> {
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut len = 0;
    {
        let mut rng = ctx.rng();
        while len < size {
            let name = format!("X-{}", draw::short_word(&mut rng));
            let value_len = rng
                .usize(100..=2000)
                .min(size.saturating_sub(len + 20).max(1));
            let value = draw::word(&mut rng, value_len);
            len += name.len() + value.len() + 4;
            headers.push((name, value));
        }
    }
    headers.push(("Content-Length".into(), body.len().to_string()));
    let mut response = http::head(200, "OK", &refs(&headers));
    response.extend_from_slice(body);
    response
}

pub(super) fn head_over_64k(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body, over, under) = {
        let mut rng = ctx.rng();
        (
            target(&mut rng),
            text(&mut rng),
            64 * 1024 + rng.usize(1..=64 * 1024),
            rng.usize(48 * 1024..=60 * 1024),
        )
    };
    // Under the limit first: a big head is no error.
    let response = big_head(ctx, under, &body);
    let head_len = response.len() - body.len();
    let server = Server::always("127.0.0.1:0", vec![Step::Write(response)])?;
    ctx.step(format!(
        "the server answers 200 with a head of {head_len} bytes, under 64 KiB, then {}",
        shown(&body)
    ));
    let fetched = fetch(ctx, server, &[], &target, RUN)?;
    body_is(
        &fetched.output,
        &body,
        "the body: a head under 64 KiB is allowed, however many headers it has",
    )?;
    let response = big_head(ctx, over, &body);
    let head_len = response.len() - body.len();
    let server = Server::always("127.0.0.1:0", vec![Step::Write(response)])?;
    ctx.step(format!(
        "the server answers 200 with a head of {head_len} bytes, then {}",
        shown(&body)
    ));
    let fetched = fetch(ctx, server, &[], &target, HANG)?;
    not_hung(&fetched.output, "a head over 64 KiB is an error")?;
    expect::clean_error(
        &fetched.output,
        "a response head over 64 KiB is refused: a server must not make a client hold a \
         head of any size (read it through reader.take(...))",
    )
}

pub(super) fn interim_skipped(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body, path) = {
        let mut rng = ctx.rng();
        (target(&mut rng), text(&mut rng), super::path(&mut rng))
    };
    let continue_ = (http::head(100, "Continue", &[]), "100 Continue");
    let processing = (http::head(102, "Processing", &[]), "102 Processing");
    let hints = (
        http::head(
            103,
            "Early Hints",
            &[("Link", format!("<{path}>; rel=preload"))],
        ),
        "103 Early Hints (with a Link header)",
    );
    // Each kind alone, then several in a row: every run.
    let cases = [
        vec![continue_.clone()],
        vec![processing.clone()],
        vec![hints.clone()],
        vec![processing, continue_, hints],
    ];
    for interim in cases {
        let names: Vec<&str> = interim.iter().map(|(_, name)| *name).collect();
        let mut steps: Vec<Step> = interim.into_iter().map(|(h, _)| Step::Write(h)).collect();
        steps.push(Step::Write(http::response(200, "OK", &[], &body)));
        let server = Server::always("127.0.0.1:0", steps)?;
        ctx.step(format!(
            "the server answers {}, then 200 OK with {}",
            names.join(", then "),
            shown(&body)
        ));
        let fetched = fetch(ctx, server, &[], &target, RUN)?;
        body_is(
            &fetched.output,
            &body,
            "the final response's body: a 1xx answer is interim, another head follows it \
             (as many times as the server likes)",
        )?;
    }
    Ok(())
}

pub(super) fn no_body_204_304(ctx: &Ctx) -> Result<(), Failure> {
    let (target, tag, length) = {
        let mut rng = ctx.rng();
        (
            target(&mut rng),
            draw::short_word(&mut rng),
            rng.usize(100..=90_000),
        )
    };
    let answers = [
        (
            http::head(204, "No Content", &[("X-Tag", tag.clone())]),
            "204 No Content",
        ),
        (
            http::head(
                304,
                "Not Modified",
                &[
                    ("ETag", format!("\"{tag}\"")),
                    ("Content-Length", length.to_string()),
                ],
            ),
            "304 Not Modified (its Content-Length is the size of the page not sent)",
        ),
    ];
    for (head, what) in answers {
        let server = Server::always("127.0.0.1:0", vec![Step::Write(head), Step::Hold])?;
        ctx.step(format!(
            "the server answers {what}, then keeps the connection open"
        ));
        let fetched = fetch(ctx, server, &[], &target, HANG)?;
        not_hung(
            &fetched.output,
            "204 and 304 never have a body, whatever their headers say: nothing to wait for",
        )?;
        expect::stdout_is(&fetched.output, b"", "no body")?;
        expect::exit_code(&fetched.output, 0, "204 and 304 are no errors")?;
    }
    Ok(())
}

/// Client errors with their reason phrases.
const CLIENT_ERRORS: &[(u16, &str)] = &[
    (403, "Forbidden"),
    (404, "Not Found"),
    (410, "Gone"),
    (418, "I'm a teapot"),
];

/// Server errors with their reason phrases, each of several words.
const SERVER_ERRORS: &[(u16, &str)] = &[
    (500, "Internal Server Error"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
];

pub(super) fn error_status(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body, client, server_error, no_reason) = {
        let mut rng = ctx.rng();
        (
            target(&mut rng),
            text(&mut rng),
            CLIENT_ERRORS[rng.usize(..CLIENT_ERRORS.len())],
            SERVER_ERRORS[rng.usize(..SERVER_ERRORS.len())],
            CLIENT_ERRORS[rng.usize(..CLIENT_ERRORS.len())].0,
        )
    };
    let empty: &[u8] = b"";
    // 400 itself (where the errors start), another 4xx, a 5xx whose reason has spaces
    // and no body at all, and a status line with no reason phrase: every run.
    let cases = [
        (400, "Bad Request", &body[..]),
        (client.0, client.1, &body[..]),
        (server_error.0, server_error.1, empty),
        (no_reason, "", &body[..]),
    ];
    for (code, reason, body) in cases {
        let server = Server::always(
            "127.0.0.1:0",
            vec![Step::Write(http::response(code, reason, &[], body))],
        )?;
        ctx.step(format!(
            "the server answers `HTTP/1.1 {code} {reason}` with {}",
            shown(body)
        ));
        let fetched = fetch(ctx, server, &[], &target, RUN)?;
        let output = &fetched.output;
        expect::stdout_is(
            output,
            body,
            "the body all the same: an error page is a page (curl and Go give it too)",
        )?;
        let why = format!("the status is {code}: 400 and up are errors");
        expect::exit_code(output, 1, &why)?;
        let line = format!("error: server answered {code} {reason}");
        let line = line.trim_end();
        if !output.stderr_text().lines().any(|l| l.trim_end() == line) {
            return Err(
                Failure::expected(format!("the line {line:?} on stderr"), "no such line")
                    .with_run(output),
            );
        }
    }
    Ok(())
}

/// Successes other than 200, each with a body.
const SUCCESSES: &[(u16, &str)] = &[
    (201, "Created"),
    (202, "Accepted"),
    (203, "Non-Authoritative Information"),
    (206, "Partial Content"),
];

pub(super) fn success_2xx(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body) = {
        let mut rng = ctx.rng();
        (target(&mut rng), text(&mut rng))
    };
    for &(code, reason) in SUCCESSES {
        let server = Server::always(
            "127.0.0.1:0",
            vec![Step::Write(http::response(code, reason, &[], &body))],
        )?;
        ctx.step(format!(
            "the server answers `HTTP/1.1 {code} {reason}` with {}",
            shown(&body)
        ));
        let fetched = fetch(ctx, server, &[], &target, RUN)?;
        expect::stdout_is(&fetched.output, &body, "the body, byte for byte")?;
        expect::exit_code(
            &fetched.output,
            0,
            &format!("{code} {reason} is a success: every 2xx status is"),
        )?;
    }
    Ok(())
}

pub(super) fn verbose(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body) = {
        let mut rng = ctx.rng();
        (target(&mut rng), text(&mut rng))
    };
    let headers = drawn_headers(ctx);
    let server = Server::always(
        "127.0.0.1:0",
        vec![Step::Write(http::response(
            200,
            "OK",
            &refs(&headers),
            &body,
        ))],
    )?;
    let host = server.addr().to_string();
    ctx.step(format!(
        "the server answers 200 OK with the header `{}: {}` and {}",
        headers[0].0,
        headers[0].1,
        shown(&body)
    ));
    let fetched = fetch(ctx, server, &["-v".into()], &target, RUN)?;
    body_is(
        &fetched.output,
        &body,
        "the body alone on stdout: with -v the heads go to stderr",
    )?;
    let stderr = fetched.output.stderr_text();
    let lines: Vec<&str> = stderr.lines().map(|l| l.trim_end()).collect();
    let wanted = [
        format!("> GET {target} HTTP/1.1"),
        format!("> Host: {host}"),
        "< HTTP/1.1 200 OK".to_string(),
        format!("< {}: {}", headers[0].0, headers[0].1),
    ];
    for line in wanted {
        if !lines.contains(&line.as_str()) {
            return Err(Failure::expected(
                format!(
                    "the line {line:?} on stderr: -v shows the request head as `> ` lines \
                     and the response head as `< ` lines, as curl -v does"
                ),
                "no such line",
            )
            .with_run(&fetched.output));
        }
    }
    Ok(())
}
