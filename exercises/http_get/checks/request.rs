//! Checks of the command line, the URL, and the request as the server received it: the
//! request line with the path and query exactly as given, the Host header, CRLF line
//! ends, an IPv6 literal host.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, ToSocketAddrs};

use crate::peer::{self as http, Received, Server, Step};
use harness::draw;
use harness::expect;
use harness::{Ctx, Failure};

use super::{RUN, body_is, fetch, fetch_url, one_request, shown, target, text};

/// A server answering 200 with `body` on every connection.
fn ok_server(bind: &str, body: &[u8]) -> Result<Server, Failure> {
    let response = http::response(200, "OK", &[], body);
    Ok(Server::always(bind, vec![Step::Write(response)])?)
}

pub(super) fn usage_errors(ctx: &Ctx) -> Result<(), Failure> {
    let (word, url) = {
        let mut rng = ctx.rng();
        let word = draw::short_word(&mut rng);
        let url = format!("http://127.0.0.1:9/{}", draw::short_word(&mut rng));
        (word, url)
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![], "no URL"),
        (vec![format!("--{word}"), url.clone()], "an unknown option"),
        (
            vec!["--timeout".into(), format!("{word}ms"), url.clone()],
            "--timeout without a number",
        ),
        (
            vec![url.clone(), "--max-redirects".into()],
            "--max-redirects without its number",
        ),
        (vec![url.clone(), format!("{url}/{word}")], "two URLs"),
        (vec![format!("--{word}")], "an unknown option (and no URL)"),
        (
            vec!["--timeout".into(), "0".into(), url.clone()],
            "--timeout 0: no time at all is no timeout",
        ),
        (
            vec![
                "--max-redirects".into(),
                format!("-{}", word.len()),
                url.clone(),
            ],
            "a negative --max-redirects",
        ),
    ];
    for (args, what) in cases {
        let output = ctx.student("http_get").args(&args).timeout(RUN).run()?;
        expect::usage_error(&output, "http_get", what)?;
    }
    Ok(())
}

/// URLs that are not `http://HOST[:PORT]...`: `error: ...` and exit 2, without
/// connecting anywhere.
pub(super) fn bad_url(ctx: &Ctx) -> Result<(), Failure> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let (path, scheme, big_port) = {
        let mut rng = ctx.rng();
        (
            super::path(&mut rng),
            match draw::word(&mut rng, 4).replace(|c: char| c.is_ascii_digit(), "x") {
                http if http == "http" => "gopher".to_string(),
                scheme => scheme,
            },
            rng.u32(65_536..=999_999),
        )
    };
    let cases = [
        (format!("{addr}{path}"), "no scheme"),
        (format!("ftp://{addr}{path}"), "an ftp:// URL"),
        (
            format!("{scheme}://{addr}{path}"),
            "a scheme other than http",
        ),
        (
            format!("http://127.0.0.1:65536{path}"),
            "port 65536, one over the largest (a u16 would wrap it to 0)",
        ),
        (
            format!("http://127.0.0.1:{big_port}{path}"),
            "a port over 65535",
        ),
        (
            format!("http://:{}{path}", addr.port()),
            "no host before the port",
        ),
        (
            format!("http://127.0.0.1:{scheme}{path}"),
            "a port that is no number",
        ),
        (format!("http://{path}"), "no host"),
        (format!("http://127.0.0.1:0{path}"), "port 0"),
        (
            format!("http://{scheme}!{scheme}:{}{path}", addr.port()),
            "a host with a `!`, which no host name has",
        ),
        (
            format!("http://{addr}{path}\r\nX-{scheme}: {scheme}"),
            "a CR LF, which would end the request line and add a header of its own",
        ),
        (
            format!("http://{addr}{path} {scheme}"),
            "a space, which cannot be sent as it is (it would end the request line's \
             target)",
        ),
    ];
    for (url, what) in cases {
        let output = ctx.student("http_get").arg(&url).timeout(RUN).run()?;
        let why = format!("{url:?} has {what}: a usage error, `error: ...` saying so");
        expect::exit_code(&output, 2, &why)?;
        expect::stderr_line_starting(&output, "error:", &why)?;
        if http::anybody_connected(&listener) {
            return Err(Failure::expected(
                format!("no connection at all: {why}"),
                "http_get connected to the server's address",
            )
            .with_run(&output));
        }
    }
    Ok(())
}

pub(super) fn https_needs_tls(ctx: &Ctx) -> Result<(), Failure> {
    let target = target(&mut ctx.rng());
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("https://{}{target}", listener.local_addr()?);
    let output = ctx.student("http_get").arg(&url).timeout(RUN).run()?;
    let why = "https is HTTP inside TLS, which this exercise does not do: a usage error";
    expect::exit_code(&output, 2, why)?;
    let said = output
        .stderr_text()
        .lines()
        .any(|l| l.starts_with("error:") && l.contains("TLS"));
    if !said {
        return Err(Failure::expected(
            "an `error: ...` line on stderr that says TLS is not part of this exercise",
            "no `error:` line mentioning TLS",
        )
        .with_run(&output));
    }
    if http::anybody_connected(&listener) {
        return Err(Failure::expected(
            "no connection at all: plain HTTP to a TLS server is garbage to it",
            "http_get connected",
        )
        .with_run(&output));
    }
    Ok(())
}

/// Fetch `scheme://ADDR{target}` from a 200 server and return the request it got.
fn requested(ctx: &Ctx, scheme: &str, target: &str) -> Result<Received, Failure> {
    let body = text(&mut ctx.rng());
    let server = ok_server("127.0.0.1:0", &body)?;
    ctx.step(format!("the server answers 200 with {}", shown(&body)));
    let url = format!("{scheme}://{}{target}", server.addr());
    let fetched = fetch_url(ctx, server, &[], &url, RUN)?;
    let request = one_request(&fetched, "the GET")?.clone();
    body_is(&fetched.output, &body, "the body, byte for byte")?;
    Ok(request)
}

pub(super) fn path_and_query(ctx: &Ctx) -> Result<(), Failure> {
    let (path, query, fragment) = {
        let mut rng = ctx.rng();
        (
            super::path(&mut rng),
            super::query(&mut rng),
            draw::short_word(&mut rng),
        )
    };
    // After HOST:PORT: a path and a query; nothing (the path is `/`); a query alone; a
    // path with a fragment (never sent: it is for the browser). Then the scheme in upper
    // case, which URLs allow (RFC 3986: schemes are case-insensitive).
    let cases = [
        ("http", format!("{path}?{query}"), format!("{path}?{query}")),
        ("http", String::new(), "/".to_string()),
        ("http", format!("?{query}"), format!("/?{query}")),
        ("http", format!("{path}#{fragment}"), path.clone()),
        ("HTTP", format!("{path}?{query}"), format!("{path}?{query}")),
    ];
    for (scheme, after_host, target) in cases {
        let request = requested(ctx, scheme, &after_host)?;
        let wanted = format!("GET {target} HTTP/1.1");
        if request.request_line != wanted {
            return Err(Failure::expected(
                format!(
                    "the request line {wanted:?}: the path and query exactly as the URL \
                     gave them, `/` when it gave no path, no `#fragment`"
                ),
                format!("{:?}", request.request_line),
            ));
        }
    }
    Ok(())
}

pub(super) fn host_header(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body) = {
        let mut rng = ctx.rng();
        (target(&mut rng), text(&mut rng))
    };
    let server = ok_server("127.0.0.1:0", &body)?;
    let wanted = server.addr().to_string();
    let fetched = fetch(ctx, server, &[], &target, RUN)?;
    let request = one_request(&fetched, "the GET")?;
    host_is(request, &wanted).map_err(|f| f.with_run(&fetched.output))?;
    body_is(&fetched.output, &body, "the body, byte for byte")?;
    // Port 80 and port 65535, where the check may listen on them (in the sandbox's own
    // network it can): a URL without a port goes to 80, and its Host header has no port;
    // the largest port is a port like any other.
    let edges = [
        (
            "127.0.0.1:80",
            "http://127.0.0.1",
            "127.0.0.1",
            "no port: 80",
        ),
        (
            "127.0.0.1:65535",
            "http://127.0.0.1:65535",
            "127.0.0.1:65535",
            "the largest port, 65535",
        ),
    ];
    for (bind, url, host, what) in edges {
        let Ok(server) = ok_server(bind, &body) else {
            ctx.step(format!(
                "note: {bind} cannot be listened on here: a URL with {what} not tried"
            ));
            continue;
        };
        let fetched = fetch_url(ctx, server, &[], &format!("{url}{target}"), RUN)?;
        let request = one_request(&fetched, &format!("the GET, to {bind}: the URL had {what}"))?;
        host_is(request, host).map_err(|f| f.with_run(&fetched.output))?;
        body_is(&fetched.output, &body, "the body, byte for byte")?;
    }
    Ok(())
}

/// What `localhost` resolves to here, in the order a client gets the addresses.
fn localhost_addrs() -> Vec<IpAddr> {
    ("localhost", 80)
        .to_socket_addrs()
        .map(|addrs| addrs.map(|a| a.ip()).collect())
        .unwrap_or_default()
}

/// `localhost`'s first address is 127.0.0.1 here: a server on it is reached at once.
pub(super) fn localhost_is_ipv4() -> bool {
    localhost_addrs().first() == Some(&IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// `http://localhost:PORT/...`: a name, resolved (`to_socket_addrs`), not parsed as an
/// address; the Host header carries the name. Where localhost has several addresses
/// (`::1` and `127.0.0.1`), the server listens on the last only: the others refuse the
/// connection, and the client must go on to the next.
pub(super) fn host_name_resolved(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body) = {
        let mut rng = ctx.rng();
        (target(&mut rng), text(&mut rng))
    };
    let addrs = localhost_addrs();
    let Some(&last) = addrs.last() else {
        ctx.step("note: localhost does not resolve here: not tried");
        return Ok(());
    };
    let server = ok_server(&SocketAddr::new(last, 0).to_string(), &body)?;
    let port = server.addr().port();
    let shown_addrs: Vec<String> = addrs.iter().map(IpAddr::to_string).collect();
    match addrs.len() {
        1 => ctx.step(format!(
            "note: localhost has one address here ({last}): several addresses not tried"
        )),
        _ => ctx.step(format!(
            "localhost resolves to {} in this order; the server listens on {last} only, \
             so a connection to the others is refused",
            shown_addrs.join(", ")
        )),
    }
    let host = format!("localhost:{port}");
    let fetched = fetch_url(ctx, server, &[], &format!("http://{host}{target}"), RUN)?;
    body_is(
        &fetched.output,
        &body,
        "the body: HOST may be a name, to resolve ((host, port).to_socket_addrs()), \
         trying each address it has until one accepts",
    )?;
    let request = one_request(&fetched, "the GET")?;
    host_is(request, &host).map_err(|f| f.with_run(&fetched.output))
}

/// The request has exactly one `Host: wanted` header.
pub(super) fn host_is(request: &Received, wanted: &str) -> Result<(), Failure> {
    let why = "HTTP/1.1 requires it (one server can host many names); the port is part of \
               it when it is not 80";
    match request.header("host").as_slice() {
        [host] if *host == wanted => Ok(()),
        [host] if *host == format!("{wanted}:80") => Err(Failure::expected(
            format!("the header `Host: {wanted}` ({why})"),
            format!("`Host: {host}`: port 80 is HTTP's default, left out of Host"),
        )),
        [] => Err(Failure::expected(
            format!("the header `Host: {wanted}` ({why})"),
            format!("no Host header; the request was {}", shown(&request.raw)),
        )),
        hosts => Err(Failure::expected(
            format!("the header `Host: {wanted}` ({why})"),
            hosts
                .iter()
                .map(|h| format!("`Host: {h}`"))
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

pub(super) fn crlf_line_ends(ctx: &Ctx) -> Result<(), Failure> {
    let target = target(&mut ctx.rng());
    let request = requested(ctx, "http", &target)?;
    let raw = &request.raw;
    let wanted = "every line of the request head ended by CRLF (\\r\\n), the empty line \
                  after the headers too";
    let mut start = 0;
    for (i, &b) in raw.iter().enumerate() {
        if b != b'\n' {
            continue;
        }
        if i == 0 || raw[i - 1] != b'\r' {
            let line = String::from_utf8_lossy(&raw[start..i]);
            return Err(Failure::expected(
                wanted,
                format!("the line {line:?} ended by \\n alone, no \\r before it"),
            ));
        }
        start = i + 1;
    }
    if !request.complete {
        return Err(Failure::expected(
            wanted,
            format!(
                "no empty line after the headers: the server received {}",
                shown(raw)
            ),
        ));
    }
    Ok(())
}

/// `http://[::1]:PORT/...`: the brackets come off for connecting, stay on in the Host
/// header. Without an IPv6 loopback (some containers), the same over IPv4.
pub(super) fn ipv6_literal_host(ctx: &Ctx) -> Result<(), Failure> {
    let (target, body) = {
        let mut rng = ctx.rng();
        (target(&mut rng), text(&mut rng))
    };
    let bind = match http::has_ipv6() {
        true => "[::1]:0",
        false => {
            ctx.step("note: no IPv6 loopback on this machine: the check runs over IPv4");
            "127.0.0.1:0"
        }
    };
    let server = ok_server(bind, &body)?;
    let host = server.addr().to_string();
    let url = format!("http://{host}{target}");
    let fetched = fetch_url(ctx, server, &[], &url, RUN)?;
    body_is(
        &fetched.output,
        &body,
        "the body from the IPv6 address in brackets: connect to ::1 without them",
    )?;
    let request = one_request(&fetched, "the GET")?;
    host_is(request, &host).map_err(|f| f.with_run(&fetched.output))
}
