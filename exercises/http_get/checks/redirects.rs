//! Checks of redirects: relative and absolute `Location`s, every redirect status, a
//! chain whose bodies are not the answer, and a loop that must stop at the limit.

use crate::peer::{self as http, Received, Server, Step};
use harness::draw;
use harness::expect;
use harness::{Ctx, Failure};

use super::{HANG, RUN, body_is, fetch, one_request, shown, spellings, target, text};

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
    let (start, theres, body, codes) = {
        let mut rng = ctx.rng();
        let start = target(&mut rng);
        let theres = [
            super::path(&mut rng),
            format!("{}?{}", super::path(&mut rng), super::query(&mut rng)),
            target(&mut rng),
        ];
        let codes = [
            REDIRECTS[rng.usize(..REDIRECTS.len())],
            REDIRECTS[rng.usize(..REDIRECTS.len())],
            REDIRECTS[rng.usize(..REDIRECTS.len())],
        ];
        (start, theres, text(&mut rng), codes)
    };
    // A chain over four servers, every form of an absolute Location in every run:
    // `http://127.0.0.1:PORT/...`, `HTTP://localhost:PORT/...?query` (the scheme in any
    // case, another host name), then `//127.0.0.1:PORT/...` (the scheme of the URL that
    // answered). Where localhost is not 127.0.0.1 here, the second says 127.0.0.1.
    let localhost = super::request::localhost_is_ipv4();
    let last = Server::always(
        "127.0.0.1:0",
        vec![Step::Write(http::response(200, "OK", &[], &body))],
    )?;
    let mut servers = vec![last];
    let mut hosts = Vec::new();
    let mut locations = Vec::new();
    for i in (0..3).rev() {
        let port = servers[0].addr().port();
        let (form, host) = match i {
            0 => ("http:", format!("127.0.0.1:{port}")),
            1 if localhost => ("HTTP:", format!("localhost:{port}")),
            1 => ("HTTP:", format!("127.0.0.1:{port}")),
            _ => ("", format!("127.0.0.1:{port}")),
        };
        let location = format!("{form}//{host}{}", theres[i]);
        let (code, reason) = codes[i];
        let server = Server::always(
            "127.0.0.1:0",
            vec![Step::Write(redirect(code, reason, &location))],
        )?;
        hosts.insert(0, host);
        locations.insert(0, (code, location));
        servers.insert(0, server);
    }
    let names = ["A", "B", "C", "D"];
    for (i, (code, location)) in locations.iter().enumerate() {
        ctx.step(format!(
            "server {} answers {code} with `Location: {location}`: server {}",
            names[i],
            names[i + 1]
        ));
    }
    ctx.step(format!("server D answers 200 with {}", shown(&body)));
    let mut servers = servers.into_iter();
    let first = servers.next().expect("four servers");
    let fetched = fetch(ctx, first, &[], &start, RUN)?;
    let output = &fetched.output;
    asked_for(
        &fetched.requests,
        std::slice::from_ref(&start),
        "one request at A",
    )
    .map_err(|f| f.with_run(output))?;
    for (i, server) in servers.enumerate() {
        let (name, host, there) = (names[i + 1], &hosts[i], &theres[i]);
        let location = &locations[i].1;
        let at = server.finish().requests;
        let request = at.first().ok_or_else(|| {
            Failure::expected(
                format!("a request at server {name}, {host}: `Location: {location}` names it"),
                "none",
            )
            .with_run(output)
        })?;
        if request.target() != there {
            return Err(Failure::expected(
                format!(
                    "at {name}, the request line `GET {there} HTTP/1.1`: the path of \
                     `Location: {location}`"
                ),
                format!("{:?}", request.request_line),
            )
            .with_run(output));
        }
        super::request::host_is(request, host).map_err(|f| {
            Failure::new(format!("at server {name}, where Location pointed:\n{f}")).with_run(output)
        })?;
    }
    body_is(output, &body, "D's body, and only it")
}

pub(super) fn every_code(ctx: &Ctx) -> Result<(), Failure> {
    let (start, codes, targets, body) = {
        let mut rng = ctx.rng();
        let codes = draw::shuffled(&mut rng, REDIRECTS.to_vec());
        let targets: Vec<String> = codes.iter().map(|_| super::target(&mut rng)).collect();
        (super::target(&mut rng), codes, targets, text(&mut rng))
    };
    // Every spelling of the header's name in every run, one per redirect.
    let names: Vec<String> = {
        let spellings = spellings(&mut ctx.rng(), "Location");
        (0..codes.len())
            .map(|i| spellings[i % spellings.len()].clone())
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
    let (start, some, prefix) = {
        let mut rng = ctx.rng();
        (
            target(&mut rng),
            rng.u32(1..=4),
            format!("/{}", draw::short_word(&mut rng)),
        )
    };
    // --max-redirects 0 (follow none), a few, and the default: every run.
    for (options, max) in [
        (vec!["--max-redirects".to_string(), "0".to_string()], 0),
        (vec!["--max-redirects".to_string(), some.to_string()], some),
        (vec![], 10),
    ] {
        let loop_prefix = prefix.clone();
        // A client that never stops meets a server that does, the same way every time.
        // Each request gets the next redirect status in turn.
        let server = Server::start("127.0.0.1:0", move |n, _| {
            if n + 1 >= GIVES_UP {
                let page = b"redirect loop\n";
                return vec![Step::Write(http::response(508, "Loop Detected", &[], page))];
            }
            let (code, reason) = REDIRECTS[n % REDIRECTS.len()];
            let to = format!("{loop_prefix}/{}", n + 1);
            vec![Step::Write(redirect(code, reason, &to))]
        })?;
        ctx.step(format!(
            "the server answers each request with a redirect (301, 302, 303, 307, 308 in \
             turn) to {prefix}/N, N counting up (from the {GIVES_UP}th request on, 508 \
             Loop Detected)"
        ));
        let fetched = fetch(ctx, server, &options, &start, HANG)?;
        let output = &fetched.output;
        let line = format!("error: stopped after {max} redirects");
        let count = fetched.requests.len();
        let wanted = max as usize + 1;
        if count != wanted {
            let given = match options.is_empty() {
                true => "no --max-redirects: Go's default, 10".to_string(),
                false => format!("--max-redirects {max}"),
            };
            let got = if count == 0 {
                "none: http_get never connected, or sent nothing".to_string()
            } else if count >= GIVES_UP {
                format!(
                    "{count}: it kept following, until the server gave up with 508 Loop \
                     Detected (a redirect loop never ends by itself)"
                )
            } else if count > wanted {
                format!(
                    "{count}: it followed {} redirects, {} more than allowed, then stopped",
                    count - 1,
                    count - wanted
                )
            } else {
                format!(
                    "{count}: it followed {} redirects, {} fewer than allowed",
                    count.saturating_sub(1),
                    wanted - count
                )
            };
            return Err(Failure::expected(
                format!(
                    "{wanted} request{} ({given}: the first and {max} redirects followed)",
                    if wanted == 1 { "" } else { "s" }
                ),
                got,
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
