//! The scenario check: servers whose version, header spelling, framing, chunk sizes,
//! write boundaries, pauses, interim answers, statuses and redirects are all drawn, each
//! knowing the right stdout, stderr line and exit code itself (no reference program),
//! several played at once, each on a listener of its own. Scenario i takes feature
//! i mod [`FEATURES`], its variant of that feature from the round i / [`FEATURES`], a
//! size class, a header spelling and a way of writing values in turn, so that every
//! class is played in every run and a verdict does not depend on the seed; the rest
//! (values, and extras whose every class some scenario already plays) is drawn.

use std::fmt;
use std::time::Duration;

use fastrand::Rng;

use crate::peer::{self as http, Server, Step};
use harness::draw;
use harness::expect;
use harness::{Ctx, Failure};

use super::{HANG, not_hung, spellings};

/// How many scenarios a run plays, and how many at once.
const SCENARIOS: usize = 30;
const AT_ONCE: usize = 6;

/// The main feature of a scenario: the class it is there to play.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Feature {
    Http10UntilClose,
    ContentLength,
    Chunked,
    ChunkedBesideLength,
    Interim,
    HeadByteByByte,
    ErrorStatus,
    NoBody,
    Redirect,
    SplitWrites,
}

const FEATURES: [Feature; 10] = [
    Feature::Http10UntilClose,
    Feature::ContentLength,
    Feature::Chunked,
    Feature::ChunkedBesideLength,
    Feature::Interim,
    Feature::HeadByteByByte,
    Feature::ErrorStatus,
    Feature::NoBody,
    Feature::Redirect,
    Feature::SplitWrites,
];

/// Body sizes: none, one byte, some, round an 8 KiB buffer, more than any buffer.
const SIZES: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Framing {
    Length,
    Chunked,
    ChunkedBesideLength,
    UntilClose,
}

/// How the response's bytes are cut into writes.
#[derive(Clone, Debug)]
enum Writes {
    Whole,
    /// The head one byte per write, then the rest in one.
    HeadByteByByte,
    /// Cut at these offsets, with a pause of this many ms between pieces.
    Split(Vec<usize>, u64),
}

struct Scenario {
    target: String,
    version: &'static str,
    interim: Vec<u16>,
    status: (u16, &'static str),
    /// Header names spelled: 0 as the RFC, 1 lower, 2 upper, 3 mixed.
    spelling: usize,
    /// Content-Length, Transfer-Encoding and Location so spelled.
    names: [String; 3],
    /// Header values: `name: v`, `name:v`, `name: \t v \t`.
    whitespace: usize,
    framing: Framing,
    /// Chunked only: sizes in upper-case hex, with leading zeros, with extensions, with
    /// trailers.
    chunk_style: [bool; 4],
    chunk_sizes: Vec<usize>,
    body: Vec<u8>,
    writes: Writes,
    /// Kept open after the response (a keep-alive server), where the framing allows.
    kept_open: bool,
    /// A redirect first: its status and `Location`, and the target it leads to.
    redirect: Option<(u16, &'static str, String, String)>,
}

const REDIRECTS: [(u16, &str); 5] = [
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
];

impl Scenario {
    fn draw(rng: &mut Rng, i: usize) -> Scenario {
        let feature = FEATURES[i % FEATURES.len()];
        let round = i / FEATURES.len();
        let size_class = (i + round) % SIZES;
        let len = match size_class {
            0 => 0,
            1 => 1,
            2 => rng.usize(2..=3_000),
            3 => 8192 + rng.usize(..3) - 1,
            _ => rng.usize(70_000..=150_000),
        };
        // Bytes of every value every other scenario, drawn text the others.
        let body = match i % 2 {
            1 => draw::bytes(rng, len),
            _ => {
                let mut text = Vec::new();
                while text.len() < len {
                    text.extend_from_slice(&super::text(rng));
                }
                text.truncate(len);
                text
            }
        };
        let framing = match feature {
            Feature::Http10UntilClose => Framing::UntilClose,
            Feature::ContentLength => Framing::Length,
            Feature::Chunked => Framing::Chunked,
            Feature::ChunkedBesideLength => Framing::ChunkedBesideLength,
            _ => [Framing::Length, Framing::Chunked, Framing::UntilClose][rng.usize(..3)],
        };
        let version = match (feature, framing) {
            (Feature::Http10UntilClose, _) => "HTTP/1.0",
            // Chunked is HTTP/1.1's (RFC 9112, 6.1).
            (_, Framing::Chunked | Framing::ChunkedBesideLength) => "HTTP/1.1",
            _ => ["HTTP/1.0", "HTTP/1.1"][rng.usize(..2)],
        };
        let interim = match (feature, round) {
            (Feature::Interim, 0) => vec![100],
            (Feature::Interim, 1) => vec![102, 103],
            (Feature::Interim, _) => vec![103, 100, 102],
            _ if rng.u8(..5) == 0 => vec![[100, 102, 103][rng.usize(..3)]],
            _ => vec![],
        };
        let status = match (feature, round) {
            (Feature::ErrorStatus, 0) => {
                [(400, "Bad Request"), (404, "Not Found"), (410, "Gone")][rng.usize(..3)]
            }
            (Feature::ErrorStatus, _) => [
                (500, "Internal Server Error"),
                (502, "Bad Gateway"),
                (503, "Service Unavailable"),
            ][rng.usize(..3)],
            (Feature::NoBody, 1) => (304, "Not Modified"),
            (Feature::NoBody, _) => (204, "No Content"),
            (Feature::ContentLength, 1) => (201, "Created"),
            (Feature::Http10UntilClose, 2) => (203, "Non-Authoritative Information"),
            _ => (200, "OK"),
        };
        let writes = match feature {
            Feature::HeadByteByByte => Writes::HeadByteByByte,
            Feature::SplitWrites => split(rng),
            _ => match rng.u8(..3) {
                0 => split(rng),
                _ => Writes::Whole,
            },
        };
        // Kept open in rounds 1 and 2 wherever the framing allows (and 204 and 304
        // always): a client that waits for the close is caught in every run.
        let kept_open = match (feature, framing) {
            (Feature::NoBody, _) => true,
            (_, Framing::UntilClose) => false,
            (Feature::ContentLength | Feature::Chunked | Feature::ChunkedBesideLength, _) => {
                round > 0
            }
            _ => rng.bool(),
        };
        // Upper-case hex, leading zeros, extensions, trailers: each in some chunked
        // scenario of every run.
        let chunk_style = match (feature, round) {
            (Feature::Chunked, 0) => [true, false, true, false],
            (Feature::Chunked, 1) => [false, true, false, true],
            (Feature::Chunked, _) => [true, true, true, true],
            (Feature::ChunkedBesideLength, 0) => [false; 4],
            (Feature::ChunkedBesideLength, 1) => [true, true, false, false],
            (Feature::ChunkedBesideLength, _) => [false, false, true, true],
            _ => [rng.bool(), rng.bool(), rng.bool(), rng.bool()],
        };
        let target = match feature {
            // One segment: the relative forms below resolve against its folder, `/`.
            Feature::Redirect => format!("/{}", draw::short_word(rng)),
            _ => super::target(rng),
        };
        let redirect = (feature == Feature::Redirect).then(|| {
            let (code, reason) = REDIRECTS[rng.usize(..REDIRECTS.len())];
            let folder = format!("/{}/", draw::short_word(rng));
            let name = draw::short_word(rng);
            let query = super::query(rng);
            let (location, to) = match round {
                0 => (format!("{folder}{name}"), format!("{folder}{name}")),
                1 => (format!("{name}?{query}"), format!("/{name}?{query}")),
                _ => (format!("?{query}"), format!("{target}?{query}")),
            };
            (code, reason, location, to)
        });
        let chunk_sizes = chunk_sizes(rng, body.len());
        Scenario {
            target,
            version,
            interim,
            status,
            spelling: i % 4,
            names: Default::default(),
            whitespace: i % 3,
            framing,
            chunk_style,
            chunk_sizes,
            body,
            writes,
            kept_open,
            redirect,
        }
    }

    /// No body for 204 and 304, whatever the framing says.
    fn has_body(&self) -> bool {
        !matches!(self.status.0, 204 | 304)
    }

    /// The final response's bytes, interim heads first, and where its head ends.
    fn response(&self) -> (Vec<u8>, usize) {
        let (code, reason) = self.status;
        let mut out = Vec::new();
        for &code in &self.interim {
            let reason = match code {
                100 => "Continue",
                102 => "Processing",
                _ => "Early Hints",
            };
            out.extend_from_slice(&http::head_lines(&format!("HTTP/1.1 {code} {reason}"), &[]));
        }
        let name = |i: usize| &self.names[i];
        let line = |n: &str, v: &str| super::body::header_line(self.whitespace, n, v);
        let mut lines = vec![line("Server", "netlab-scenario")];
        let chunked = matches!(
            self.framing,
            Framing::Chunked | Framing::ChunkedBesideLength
        );
        match self.framing {
            Framing::Length => lines.push(line(name(0), &self.body.len().to_string())),
            Framing::ChunkedBesideLength => {
                let wrong = (self.body.len() / 2).to_string();
                lines.push(line(name(0), &wrong));
                lines.push(line(name(1), "chunked"));
            }
            Framing::Chunked => lines.push(line(name(1), "chunked")),
            Framing::UntilClose => {}
        }
        out.extend_from_slice(&http::head_lines(
            &format!("{} {code} {reason}", self.version),
            &lines,
        ));
        let head_end = out.len();
        if !self.has_body() {
            return (out, head_end);
        }
        if !chunked {
            out.extend_from_slice(&self.body);
            return (out, head_end);
        }
        let [upper, zeros, extensions, trailers] = self.chunk_style;
        let size_line = |i: usize, size: usize| {
            let mut line = match upper {
                true => format!("{size:X}"),
                false => format!("{size:x}"),
            };
            if zeros {
                line.insert_str(0, "000");
            }
            if extensions && i % 2 == 0 {
                line.push_str(&format!(";n{i}=v{i}"));
            }
            line
        };
        let trailer = [("X-Trailer", "done".to_string())];
        let trailers: &[(&str, String)] = if trailers { &trailer } else { &[] };
        out.extend(http::chunked_lines(
            &self.body,
            &self.chunk_sizes,
            size_line,
            trailers,
        ));
        (out, head_end)
    }

    /// The server's steps for the final response.
    fn steps(&self, (response, head_end): (Vec<u8>, usize)) -> Vec<Step> {
        let mut steps = match &self.writes {
            Writes::Whole => vec![Step::Write(response)],
            Writes::HeadByteByByte => vec![
                Step::WriteSlowly(response[..head_end].to_vec(), Duration::from_millis(1)),
                Step::Write(response[head_end..].to_vec()),
            ],
            Writes::Split(cuts, pause) => {
                let mut steps = Vec::new();
                let mut at = 0;
                for &cut in cuts.iter().chain([&usize::MAX]) {
                    let cut = cut.min(response.len()).max(at);
                    if cut > at {
                        if at > 0 {
                            steps.push(Step::Pause(Duration::from_millis(*pause)));
                        }
                        steps.push(Step::Write(response[at..cut].to_vec()));
                    }
                    at = cut;
                }
                steps
            }
        };
        if self.kept_open {
            steps.push(Step::Hold);
        }
        steps
    }
}

/// 2 to 6 pieces: cut at drawn offsets (the response is at least a head long; offsets
/// past its end are dropped), 1 to 15 ms apart.
fn split(rng: &mut Rng) -> Writes {
    let mut cuts: Vec<usize> = (0..rng.usize(1..=5)).map(|_| rng.usize(1..=400)).collect();
    cuts.sort_unstable();
    // Some cuts in the body too, wherever it is.
    cuts.push(rng.usize(400..=9_000));
    Writes::Split(cuts, rng.u64(1..=15))
}

/// Chunk sizes adding up to `len`: single bytes, small and large ones.
fn chunk_sizes(rng: &mut Rng, len: usize) -> Vec<usize> {
    let mut sizes = Vec::new();
    let mut total = 0;
    while total < len {
        let size = match rng.u8(..3) {
            0 => 1,
            1 => rng.usize(2..=300),
            _ => rng.usize(301..=20_000),
        };
        sizes.push(size);
        total += size;
    }
    sizes
}

/// `1 byte`, `2 bytes`.
fn counted(n: usize, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        _ => format!("{n} {what}s"),
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GET {}: ", self.target)?;
        if let Some((code, _, location, _)) = &self.redirect {
            write!(f, "first {code} to `{location}`, then ")?;
        }
        for code in &self.interim {
            write!(f, "{code}, ")?;
        }
        write!(f, "`{} {} {}`", self.version, self.status.0, self.status.1)?;
        let names = [
            "as the RFC writes them",
            "in lower case",
            "in upper case",
            "in mixed case",
        ];
        let spaces = ["`name: v`", "`name:v`", "spaces and tabs round values"];
        write!(
            f,
            ", header names {}, {}",
            names[self.spelling], spaces[self.whitespace]
        )?;
        match self.framing {
            Framing::Length => write!(f, ", Content-Length")?,
            Framing::UntilClose => write!(f, ", until the close")?,
            Framing::Chunked | Framing::ChunkedBesideLength => {
                if self.framing == Framing::ChunkedBesideLength {
                    write!(f, ", a wrong Content-Length beside")?;
                }
                write!(
                    f,
                    ", chunked in {}",
                    counted(self.chunk_sizes.len(), "chunk")
                )?;
                let styles = ["upper-case hex", "leading zeros", "extensions", "a trailer"];
                for (on, style) in self.chunk_style.iter().zip(styles) {
                    if *on {
                        write!(f, ", {style}")?;
                    }
                }
            }
        }
        write!(f, ", a body of {}", counted(self.body.len(), "byte"))?;
        if !self.has_body() {
            write!(f, " (not sent: {} has none)", self.status.0)?;
        }
        match &self.writes {
            Writes::Whole => write!(f, ", in one write")?,
            Writes::HeadByteByByte => write!(f, ", the head one byte per write")?,
            Writes::Split(cuts, pause) => write!(f, ", cut at {cuts:?}, {pause} ms apart")?,
        }
        match self.kept_open {
            true => write!(f, ", then kept open"),
            false => write!(f, ", then closed"),
        }
    }
}

pub(super) fn servers(ctx: &Ctx) -> Result<(), Failure> {
    let scenarios: Vec<Scenario> = {
        let mut rng = ctx.rng();
        let length = spellings(&mut rng, "Content-Length");
        let encoding = spellings(&mut rng, "Transfer-Encoding");
        let location = spellings(&mut rng, "Location");
        (0..SCENARIOS)
            .map(|i| {
                let mut scenario = Scenario::draw(&mut rng, i);
                let s = scenario.spelling;
                scenario.names = [length[s].clone(), encoding[s].clone(), location[s].clone()];
                scenario
            })
            .collect()
    };
    harness::scenario::play_all(ctx, &scenarios, AT_ONCE, |scenario| play(ctx, scenario))
}

fn play(ctx: &Ctx, scenario: &Scenario) -> Result<(), Failure> {
    let names = &scenario.names;
    let response = scenario.response();
    let steps = scenario.steps(response);
    let redirect = scenario.redirect.as_ref().map(|(code, _, location, _)| {
        let reason = REDIRECTS
            .iter()
            .find(|(c, _)| c == code)
            .map_or("Moved", |(_, r)| *r);
        let page = format!("<a href=\"{location}\">moved</a>\n");
        http::response(
            *code,
            reason,
            &[(names[2].as_str(), location.clone())],
            page.as_bytes(),
        )
    });
    let server = Server::start("127.0.0.1:0", move |n, _| match (&redirect, n) {
        (Some(moved), 0) => vec![Step::Write(moved.clone())],
        _ => steps.clone(),
    })?;
    let url = format!("http://{}{}", server.addr(), scenario.target);
    let output = ctx.student("http_get").arg(&url).timeout(HANG).run()?;
    let served = server.finish();
    let why = match (scenario.kept_open, scenario.has_body()) {
        (true, false) => format!(
            "{} has no body, and this server keeps the connection open: nothing to wait for",
            scenario.status.0
        ),
        (true, true) => "the body ends where its framing says, and this server keeps the \
                         connection open (as HTTP/1.1 servers may): nothing more to wait for"
            .to_string(),
        (false, _) => "the server closed the connection after its answer".to_string(),
    };
    not_hung(&output, &why)?;
    if let Some((_, _, location, to)) = &scenario.redirect {
        let got: Vec<&str> = served.requests.iter().map(|r| r.target()).collect();
        let wanted = [scenario.target.as_str(), to.as_str()];
        if got != wanted {
            return Err(Failure::expected(
                format!("the requests {wanted:?} (`Location: {location}` followed)"),
                format!("{got:?}"),
            )
            .with_run(&output));
        }
    }
    let body: &[u8] = match scenario.has_body() {
        true => &scenario.body,
        false => b"",
    };
    expect::stdout_is(&output, body, "the final response's body, byte for byte")?;
    let (code, reason) = scenario.status;
    if code >= 400 {
        expect::exit_code(&output, 1, &format!("the status is {code}"))?;
        let line = format!("error: server answered {code} {reason}");
        if !output.stderr_text().lines().any(|l| l.trim_end() == line) {
            return Err(
                Failure::expected(format!("the line {line:?} on stderr"), "no such line")
                    .with_run(&output),
            );
        }
    } else {
        expect::exit_code(&output, 0, &format!("the status is {code} {reason}"))?;
    }
    Ok(())
}
