//! Checks of redirects: relative and absolute `Location`s, every redirect status, a
//! chain whose bodies are not the answer, and a loop that must stop at the limit.

use crate::peer::{self as http, Received, Server, Step};
use harness::draw;
use harness::expect;
use harness::{Ctx, Failure};

use super::{HANG, RUN, body_is, fetch, one_request, shown, spelled, target, text};

/// The requests after which the looping server of `redirect_limit` stops redirecting.
const GIVES_UP: usize = 30;

/// The statuses that redirect, with their reason phrases.
const REDIRECTS: &[(u16, &str)] = &[
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
];

/// A redirect to `location` with a small body of its own (which is not the answer).
fn redirect(code: u16, reason: &str, location: &str) -> Vec<u8> {
    redirect_spelled(code, reason, "Location", location)
}

/// [`redirect`], its `Location` header's name spelled `name`.
fn redirect_spelled(code: u16, reason: &str, name: &str, location: &str) -> Vec<u8> {
    let body = format!("<a href=\"{location}\">moved</a>\n");
    http::response(
        code,
        reason,
        &[(name, location.to_string())],
        body.as_bytes(),
    )
}

/// The targets the server was asked for, in order, against `wanted`.
fn asked_for(requests: &[Received], wanted: &[String], why: &str) -> Result<(), Failure> {
    let got: Vec<&str> = requests.iter().map(Received::target).collect();
    if got == wanted {
        return Ok(());
    }
    Err(Failure::expected(
        format!("the requests {wanted:?} ({why})"),
        format!("{got:?}"),
    ))
}

pub(super) fn relative(ctx: &Ctx) -> Result<(), Failure> {
    let (start, folder, name, file, query, query2, body, codes) = {
        let mut rng = ctx.rng();
        let codes = [
            REDIRECTS[rng.usize(..REDIRECTS.len())],
            REDIRECTS[rng.usize(..REDIRECTS.len())],
            REDIRECTS[rng.usize(..REDIRECTS.len())],
        ];
        (
            target(&mut rng),
            format!(
                "/{}/{}/",
                draw::short_word(&mut rng),
                draw::short_word(&mut rng)
            ),
            draw::short_word(&mut rng),
            format!("{}.txt", draw::short_word(&mut rng)),
            super::query(&mut rng),
            super::query(&mut rng),
            text(&mut rng),
            codes,
        )
    };
    // From the root (`/a/b/name`), then relative to that path's folder (`file?query`),
    // then a new query for the same path (`?query2`).
    let first = format!("{folder}{name}");
    let second = format!("{file}?{query}");
    let third = format!("?{query2}");
    let responses = [
        redirect(codes[0].0, codes[0].1, &first),
        redirect(codes[1].0, codes[1].1, &second),
        redirect(codes[2].0, codes[2].1, &third),
        http::response(200, "OK", &[], &body),
    ];
    let server = Server::start("127.0.0.1:0", move |n, _| {
        vec![Step::Write(responses[n.min(3)].clone())]
    })?;
    ctx.step(format!(
        "the server answers {} with `Location: {first}`, then {} with `Location: \
         {second}`, then {} with `Location: {third}`, then 200 with {}",
        codes[0].0,
        codes[1].0,
        codes[2].0,
        shown(&body)
    ));
    let fetched = fetch(ctx, server, &[], &start, RUN)?;
    let wanted = [
        start,
        first,
        format!("{folder}{second}"),
        format!("{folder}{file}{third}"),
    ];
    asked_for(
        &fetched.requests,
        &wanted,
        "a Location starting with `/` replaces the path; one starting with `?` the query; \
         any other the last segment of the path that answered",
    )
    .map_err(|f| f.with_run(&fetched.output))?;
    body_is(
        &fetched.output,
        &body,
        "the last response's body, and only it",
    )
}

pub(super) fn absolute(ctx: &Ctx) -> Result<(), Failure> {
    let (start, there, body, (code, reason), scheme) = {
        let mut rng = ctx.rng();
        (
            target(&mut rng),
            target(&mut rng),
            text(&mut rng),
            REDIRECTS[rng.usize(..REDIRECTS.len())],
            // `//host/path` keeps the scheme of the URL that answered.
            ["http:", "HTTP:", ""][rng.usize(..3)],
        )
    };
    let second = Server::always(
        "127.0.0.1:0",
        vec![Step::Write(http::response(200, "OK", &[], &body))],
    )?;
    let second_host = second.addr().to_string();
    let location = format!("{scheme}//{second_host}{there}");
    let first = Server::always(
        "127.0.0.1:0",
        vec![Step::Write(redirect(code, reason, &location))],
    )?;
    ctx.step(format!(
        "server A answers {code} with `Location: {location}`: server B, which answers 200 \
         with {}",
        shown(&body)
    ));
    let fetched = fetch(ctx, first, &[], &start, RUN)?;
    let at_second = second.finish().requests;
    let output = &fetched.output;
    asked_for(
        &fetched.requests,
        std::slice::from_ref(&start),
        "one request at A",
    )
    .map_err(|f| f.with_run(output))?;
    let request = at_second.first().ok_or_else(|| {
        Failure::expected(
            format!(
                "a request at server B, {second_host} (an absolute Location names another server)"
            ),
            "none",
        )
        .with_run(output)
    })?;
    if request.target() != there {
        return Err(Failure::expected(
            format!("at B, the request line `GET {there} HTTP/1.1`: the Location's path"),
            format!("{:?}", request.request_line),
        )
        .with_run(output));
    }
    super::request::host_is(request, &second_host).map_err(|f| {
        Failure::new(format!("at server B, where Location pointed:\n{f}")).with_run(output)
    })?;
    body_is(output, &body, "B's body, and only it")
}

pub(super) fn every_code(ctx: &Ctx) -> Result<(), Failure> {
    let (start, codes, targets, body) = {
        let mut rng = ctx.rng();
        let codes = draw::shuffled(&mut rng, REDIRECTS.to_vec());
        let targets: Vec<String> = codes.iter().map(|_| super::target(&mut rng)).collect();
        (super::target(&mut rng), codes, targets, text(&mut rng))
    };
    let names: Vec<String> = {
        let mut rng = ctx.rng();
        codes
            .iter()
            .map(|_| spelled(&mut rng, "Location"))
            .collect()
    };
    let mut responses: Vec<Vec<u8>> = codes
        .iter()
        .zip(&targets)
        .zip(&names)
        .map(|(((code, reason), to), name)| redirect_spelled(*code, reason, name, to))
        .collect();
    responses.push(http::response(200, "OK", &[], &body));
    let last = responses.len() - 1;
    let server = Server::start("127.0.0.1:0", move |n, _| {
        vec![Step::Write(responses[n.min(last)].clone())]
    })?;
    let chain: Vec<String> = codes
        .iter()
        .zip(&targets)
        .zip(&names)
        .map(|(((code, _), to), name)| format!("{code} with `{name}: {to}`"))
        .collect();
    ctx.step(format!(
        "the server answers {}, then 200 with {}; each redirect has a short body of its \
         own, and header names are case-insensitive",
        chain.join(", "),
        shown(&body)
    ));
    let fetched = fetch(ctx, server, &[], &start, RUN)?;
    let mut wanted = vec![start];
    wanted.extend(targets);
    asked_for(
        &fetched.requests,
        &wanted,
        "301, 302, 303, 307 and 308 all redirect",
    )
    .map_err(|f| f.with_run(&fetched.output))?;
    body_is(
        &fetched.output,
        &body,
        "the final body only: a redirect's own body is not the answer",
    )
}

pub(super) fn limit(ctx: &Ctx) -> Result<(), Failure> {
    let (start, max, prefix, (code, reason)) = {
        let mut rng = ctx.rng();
        (
            target(&mut rng),
            rng.u32(0..=4),
            format!("/{}", draw::short_word(&mut rng)),
            REDIRECTS[rng.usize(..REDIRECTS.len())],
        )
    };
    for (options, max) in [
        (vec!["--max-redirects".to_string(), max.to_string()], max),
        (vec![], 10),
    ] {
        let loop_prefix = prefix.clone();
        // A client that never stops meets a server that does, the same way every time.
        let server = Server::start("127.0.0.1:0", move |n, _| {
            if n + 1 >= GIVES_UP {
                let page = b"redirect loop\n";
                return vec![Step::Write(http::response(508, "Loop Detected", &[], page))];
            }
            let to = format!("{loop_prefix}/{}", n + 1);
            vec![Step::Write(redirect(code, reason, &to))]
        })?;
        ctx.step(format!(
            "the server answers each request with {code} to {prefix}/N, N counting up \
             (from the {GIVES_UP}th request on, 508 Loop Detected)"
        ));
        let fetched = fetch(ctx, server, &options, &start, HANG)?;
        let output = &fetched.output;
        let line = format!("error: stopped after {max} redirects");
        let count = fetched.requests.len();
        if count != max as usize + 1 {
            let given = match options.is_empty() {
                true => "no --max-redirects: Go's default, 10".to_string(),
                false => format!("--max-redirects {max}"),
            };
            return Err(Failure::expected(
                format!(
                    "{} requests ({given}: the first and {max} redirects followed)",
                    max + 1
                ),
                match count > max as usize + 1 {
                    true => format!(
                        "{count}: it kept following, until the server gave up with \
                         508 Loop Detected (a redirect loop never ends by itself)"
                    ),
                    false => format!("{count}"),
                },
            )
            .with_run(output));
        }
        expect::exit_code(output, 1, "too many redirects")?;
        if !output.stderr_text().lines().any(|l| l == line) {
            return Err(
                Failure::expected(format!("the line {line:?} on stderr"), "no such line")
                    .with_run(output),
            );
        }
        one_request(&fetched, "the first GET")?;
    }
    Ok(())
}
