//! `client_scenarios`: the client over a bad network. Each scenario is a stream of stdin
//! lines and, for every try of every line, what the network and the server do with it
//! (scenario_peer.rs): loss, duplication, late replies, copies held back and reordered,
//! noise from the server, a stranger's copies, a server that never answers a line. The
//! generator computes what a right client prints itself (each line's reply once, in order,
//! or the replies up to a line that got none, then the give-up line), so no reference
//! program is needed. Scenario i takes class i mod CLASSES for its main feature, so every
//! class is played in every run; the rest (lines, line ends, other fates, --tries,
//! --timeout) is drawn.

use std::fmt;
use std::time::Duration;

use super::client::{not_hung, student_client};
use super::hints::print_mistake;
use crate::scenario_peer::{Fate, Plan, Received, ScenarioPeer};
use harness::bytes::{escape, show};
use harness::expect;
use harness::scenario::play_all;
use harness::{Ctx, Failure, Output, draw};

/// The main features, one per scenario in turn.
const CLASSES: usize = 11;
/// Scenarios per run: every class once.
const SCENARIOS: usize = CLASSES;

/// One drawn conversation.
struct Scenario {
    class: usize,
    timeout: u64,
    tries: usize,
    lines: Vec<Vec<u8>>,
    /// Each line's end on stdin: `\n`, `\r\n`, or none (the last line only).
    ends: Vec<&'static [u8]>,
    fates: Vec<Vec<Fate>>,
    noise: Vec<u8>,
}

impl Scenario {
    fn stdin(&self) -> Vec<u8> {
        let mut stdin = Vec::new();
        for (line, end) in self.lines.iter().zip(&self.ends) {
            stdin.extend_from_slice(line);
            stdin.extend_from_slice(end);
        }
        stdin
    }

    /// The try (1-based) whose echo a right client takes for line `i`, or None when none
    /// of its tries gets one: an echo at once, or a late one released by the next try.
    fn answered_at(&self, i: usize) -> Option<usize> {
        let fates = &self.fates[i];
        (0..self.tries)
            .find(|&k| fates[k].answers() || (k > 0 && fates[k - 1] == Fate::Late))
            .map(|k| k + 1)
    }

    /// The line that gets no reply, if one does.
    fn gives_up_at(&self) -> Option<usize> {
        (0..self.lines.len()).find(|&i| self.answered_at(i).is_none())
    }

    /// The lines a right client sends, and prints the reply of.
    fn answered(&self) -> usize {
        self.gives_up_at().unwrap_or(self.lines.len())
    }

    /// Tries that wait out the whole timeout: the least time a right client takes.
    fn silent_tries(&self) -> usize {
        let answered: usize = (0..self.answered())
            .map(|i| self.answered_at(i).unwrap_or(self.tries) - 1)
            .sum();
        answered + self.gives_up_at().map_or(0, |_| self.tries)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "udp_client --timeout {} --tries {} ADDR, stdin \"{}\"",
            self.timeout,
            self.tries,
            escape(&self.stdin())
        )?;
        if self.lines.is_empty() {
            return f.write_str(" (empty)");
        }
        let mut parts = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            let shown = self.answered_at(i).unwrap_or(self.tries);
            let fates: Vec<&str> = self.fates[i][..shown].iter().map(|f| f.name()).collect();
            parts.push(format!(
                "line {} \"{}\": {}",
                i + 1,
                escape(line),
                fates.join(", ")
            ));
            if self.answered_at(i).is_none() {
                parts.push("no reply: give up there".to_string());
                break;
            }
        }
        write!(f, ": {}", parts.join("; "))
    }
}

/// Draw scenario `i`.
fn draw_scenario(rng: &mut fastrand::Rng, i: usize) -> Scenario {
    let class = i % CLASSES;
    let count = match class {
        10 => 0,
        _ => rng.usize(3..=5),
    };
    let mut lines: Vec<Vec<u8>> = Vec::new();
    while lines.len() < count {
        let n = rng.usize(1..=3);
        let line = super::words(rng, n).join(" ").into_bytes();
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let mut ends: Vec<&'static [u8]> = (0..count)
        .map(|_| match rng.bool() {
            true => &b"\n"[..],
            false => &b"\r\n"[..],
        })
        .collect();
    if count > 0 && rng.bool() {
        ends[count - 1] = b"";
    }
    // Where the main feature goes: not on the first line, so that replies come before it.
    let at = match class {
        10 => 0,
        // Two lines after it: the copy waits in the way of the second.
        4 => rng.usize(0..count - 2),
        _ => rng.usize(1..count - 1),
    };
    // A line answered at its last try needs its echo within the timeout, which a loaded
    // machine can stretch: where tries go unanswered (each costs a whole timeout) the
    // answering try is never the last, and elsewhere the timeout is long (it costs
    // nothing when every echo comes).
    let (tries, timeout) = match class {
        // A second (and third) try is what these are about.
        0 | 1 | 8 => (3, rng.u64(120..=160)),
        // Every try of the give-up line waits in full.
        6 | 7 => (2, rng.u64(120..=160)),
        // One try: a copy of the line before, then the echo, must all fit in it.
        3 => (1, rng.u64(800..=1200)),
        _ => (rng.usize(1..=3), rng.u64(800..=1200)),
    };
    // Lines other than the main feature's get fates that cost no waiting.
    let free = [
        Fate::Echo,
        Fate::Echo,
        Fate::Twice,
        Fate::NoiseFirst,
        Fate::CopyAfterNext,
    ];
    let mut fates: Vec<Vec<Fate>> = (0..count)
        .map(|_| (0..tries).map(|_| free[rng.usize(..free.len())]).collect())
        .collect();
    let main: Vec<Fate> = match class {
        0 => vec![Fate::Lost, Fate::Echo],
        1 => vec![Fate::Late, Fate::Echo],
        2 => vec![Fate::Twice],
        3 => vec![Fate::CopyBeforeNext],
        4 => vec![Fate::CopyAfterNext],
        5 => vec![Fate::NoiseFirst],
        6 => vec![Fate::Stranger; tries],
        7 => vec![Fate::Lost; tries],
        // Noise all through two tries: a client whose wait starts again at every datagram
        // hangs, even if a stall of the machine lets it out of one.
        8 => vec![Fate::Chatter, Fate::Chatter, Fate::Echo],
        _ => vec![],
    };
    if let Some(line) = fates.get_mut(at) {
        for (k, fate) in main.into_iter().enumerate() {
            line[k] = fate;
        }
    }
    match class {
        // The line after a held-back copy is answered at once, so the copy waits in
        // its way (3) or in the way of the line after (4).
        3 | 4 => {
            for line in fates.iter_mut().skip(at + 1) {
                line[0] = Fate::Echo;
            }
        }
        // The shapes of stdin: an empty line, spaces at both ends, bytes that are not
        // UTF-8, both line ends, the last line without one.
        9 => {
            lines[at] = Vec::new();
            let last = count - 1;
            lines[last] = format!("  {} ", String::from_utf8_lossy(&lines[last])).into_bytes();
            let (bad, _) = draw::not_utf8(rng);
            lines[0] = bad;
            ends[0] = b"\r\n";
            ends[at] = b"\n";
            ends[last] = b"";
        }
        _ => {}
    }
    // Noise never equals a line: no line starts with 0xfe.
    let len = rng.usize(1..=24);
    let mut noise = vec![0xfe];
    noise.extend(draw::bytes(rng, len));
    Scenario {
        class,
        timeout,
        tries,
        lines,
        ends,
        fates,
        noise,
    }
}

pub fn client_scenarios(ctx: &Ctx) -> Result<(), Failure> {
    let scenarios: Vec<Scenario> = {
        let mut rng = ctx.rng();
        (0..SCENARIOS).map(|i| draw_scenario(&mut rng, i)).collect()
    };
    play_all(ctx, &scenarios, SCENARIOS, |scenario| play(ctx, scenario))
}

fn play(ctx: &Ctx, scenario: &Scenario) -> Result<(), Failure> {
    let timeout = Duration::from_millis(scenario.timeout);
    let peer = ScenarioPeer::start(Plan {
        lines: scenario.lines.clone(),
        fates: scenario.fates.clone(),
        noise: scenario.noise.clone(),
        timeout,
    })?;
    let addr = peer.addr().to_string();
    let waits = timeout * scenario.silent_tries() as u32;
    let output = student_client(ctx)
        .timeout(waits + super::CLIENT_RUN)
        .args(["--timeout", &scenario.timeout.to_string()])
        .args(["--tries", &scenario.tries.to_string()])
        .arg(&addr)
        .stdin(scenario.stdin())
        .run()?;
    let received = peer.received();
    drop(peer);
    if output.timed_out && scenario.class == 8 {
        return Err(Failure::expected(
            format!(
                "the try that got only noise to end {} ms after its send",
                scenario.timeout
            ),
            format!(
                "still running after {} ms, the server sending a datagram of noise every {} \
                 ms: each skipped datagram started the wait again. A try lasts --timeout \
                 from its send however many datagrams are skipped: compute a deadline \
                 before the first recv, and set the read timeout to what is left of it \
                 before each",
                output.elapsed.as_millis(),
                scenario.timeout / 4
            ),
        )
        .with_run(&output));
    }
    not_hung(
        &output,
        "every try ends after --timeout",
        Some((scenario.timeout, scenario.tries as u64)),
    )?;
    sent_only_lines(scenario, &received, &output)?;
    printed_right(scenario, &output)?;
    ended_right(scenario, &addr, &output)?;
    tries_right(scenario, &received, &output)?;
    let least = waits * 9 / 10;
    if output.elapsed < least {
        return Err(Failure::expected(
            format!(
                "about {} ms at least: {} tries got no reply, each waiting the whole \
                 --timeout {}",
                waits.as_millis(),
                scenario.silent_tries(),
                scenario.timeout
            ),
            format!("done after {} ms", output.elapsed.as_millis()),
        )
        .with_run(&output));
    }
    Ok(())
}

/// Every datagram the server got is a line of stdin.
fn sent_only_lines(
    scenario: &Scenario,
    received: &[Received],
    output: &Output,
) -> Result<(), Failure> {
    let Some(unknown) = received.iter().find_map(|r| match r {
        Received::Unknown(bytes) => Some(bytes),
        Received::Line(_) => None,
    }) else {
        return Ok(());
    };
    let crlf = scenario
        .lines
        .iter()
        .any(|l| unknown.strip_suffix(b"\r") == Some(l.as_slice()));
    let hint = match (crlf, unknown.is_empty()) {
        (true, _) => {
            ": that is a line with the \\r of its \\r\\n line end. A line ends with \\n or \
             \\r\\n, and neither is sent: drop a \\r before the \\n too"
        }
        (false, true) => {
            ": an empty datagram where stdin has no empty line (the end of stdin is no \
             line: after a last \\n there is nothing more to send)"
        }
        (false, false) => "",
    };
    Err(Failure::expected(
        "one datagram per stdin line, without its line end",
        format!(
            "the server received {}, which is no line of stdin{hint}",
            show(unknown)
        ),
    )
    .with_run(output))
}

/// Stdout is each answered line's reply, in order, once.
fn printed_right(scenario: &Scenario, output: &Output) -> Result<(), Failure> {
    let wanted: Vec<Vec<u8>> = scenario.lines[..scenario.answered()].to_vec();
    let replies: Vec<&[u8]> = wanted.iter().map(Vec::as_slice).collect();
    let mut why = "each line's reply printed once, in order".to_string();
    if let Some(hint) = print_mistake(&replies, &output.stdout)
        .map(str::to_string)
        .or_else(|| stdout_mistake(scenario, &output.stdout))
    {
        why = format!("{why}; {hint}");
    }
    // What a wrong client prints after its first wrong line can depend on how threads
    // were scheduled (whether a late copy came before or after it emptied its socket):
    // the failure shows stdout up to that line, the same in every run.
    let mut shown = output.clone();
    let whole: Vec<u8> = wanted
        .iter()
        .flat_map(|l| l.iter().chain(b"\n"))
        .copied()
        .collect();
    let same = whole
        .iter()
        .zip(&output.stdout)
        .take_while(|(a, b)| a == b)
        .count();
    let first_wrong = whole[..same].iter().filter(|&&b| b == b'\n').count();
    let keep: usize = output
        .stdout
        .split_inclusive(|&b| b == b'\n')
        .take(first_wrong + 1)
        .map(<[u8]>::len)
        .sum();
    if keep < output.stdout.len() {
        shown.stdout.truncate(keep);
        shown.stdout.extend_from_slice(b"...");
    }
    expect::stdout_lines_exact(output, &wanted, &why).map_err(|failure| {
        let head = failure
            .message()
            .split("\n     ran: ")
            .next()
            .unwrap_or_default();
        Failure::new(head).with_run(&shown)
    })
}

/// Which scenario mistake turns the right output into `got`, in words.
fn stdout_mistake(scenario: &Scenario, got: &[u8]) -> Option<String> {
    let lines = &scenario.lines[..scenario.answered()];
    let got: Vec<&[u8]> = got.split(|&b| b == b'\n').collect();
    if let Some(g) = scenario.gives_up_at() {
        let more =
            got.len() > lines.len() + 1 || got.get(lines.len()).is_some_and(|l| !l.is_empty());
        if more && got[..lines.len().min(got.len())] == *lines {
            return Some(format!(
                "line {} got no reply in {} tries: the client gives up there, and sends no \
                 later line",
                g + 1,
                scenario.tries
            ));
        }
    }
    let d = (0..lines.len()).find(|&d| got.get(d) != Some(&lines[d].as_slice()))?;
    let unterminated = scenario.ends.last().is_some_and(|end| end.is_empty());
    if d + 1 == scenario.lines.len() && unterminated && got.get(d).is_none_or(|l| l.is_empty()) {
        return Some(
            "the last line has no line end, and it is a line all the same: send it too".to_string(),
        );
    }
    let printed = got.get(d)?;
    let earlier = scenario.lines[..d].iter().position(|l| l == printed);
    if let Some(j) = earlier {
        return Some(format!(
            "line {}'s reply printed for line {}: a late or duplicated copy of an earlier \
             reply was taken for this line's. Compare each datagram with what was just sent \
             and skip the others (a drain before each send is not enough: a late copy can \
             come after it)",
            j + 1,
            d + 1
        ));
    }
    if *printed == scenario.noise.as_slice() {
        return Some(
            "a datagram of noise the server sent before the echo was printed: the reply is \
             the datagram equal to what was sent; skip the others"
                .to_string(),
        );
    }
    if lines[d].is_empty() && lines.get(d + 1).is_some_and(|next| next == printed) {
        return Some(
            "the empty line's reply is missing: an empty line is an empty datagram, and its \
             empty reply an empty line of output"
                .to_string(),
        );
    }
    None
}

/// Exit code 0, or the give-up line and exit code 1.
fn ended_right(scenario: &Scenario, addr: &str, output: &Output) -> Result<(), Failure> {
    let Some(line) = scenario.gives_up_at() else {
        return expect::exit_code(output, 0, "every line got its reply");
    };
    super::client::gave_up(output, addr, scenario.tries as u64)?;
    expect::exit_code(
        output,
        1,
        &format!("line {} got no reply in {} tries", line + 1, scenario.tries),
    )
}

/// Each line sent at least up to the try that answers it and at most --tries times; the
/// line with no reply exactly --tries times; no line after it.
fn tries_right(scenario: &Scenario, received: &[Received], output: &Output) -> Result<(), Failure> {
    for (i, line) in scenario.lines.iter().enumerate() {
        let sent = received.iter().filter(|r| **r == Received::Line(i)).count();
        let (least, most, why) = match (scenario.answered_at(i), scenario.gives_up_at()) {
            (_, Some(g)) if i > g => (
                0,
                0,
                format!("line {} got no reply: the client stops there", g + 1),
            ),
            (Some(k), _) => (
                k,
                scenario.tries,
                format!(
                    "its reply comes with try {k}, and --tries is {}",
                    scenario.tries
                ),
            ),
            (None, _) => (
                scenario.tries,
                scenario.tries,
                format!("no try gets a reply: --tries {} in all", scenario.tries),
            ),
        };
        if !(least..=most).contains(&sent) {
            let range = match least == most {
                true => format!("{least}"),
                false => format!("{least} to {most}"),
            };
            return Err(Failure::expected(
                format!(
                    "line {} (\"{}\") sent {range} time(s) ({why})",
                    i + 1,
                    escape(line)
                ),
                format!("the server received it {sent} time(s)"),
            )
            .with_run(output));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_is_drawn_and_knows_its_outcome() {
        for seed in 0..300 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let scenarios: Vec<Scenario> =
                (0..SCENARIOS).map(|i| draw_scenario(&mut rng, i)).collect();
            for s in &scenarios {
                let lines: std::collections::BTreeSet<_> = s.lines.iter().collect();
                assert_eq!(lines.len(), s.lines.len(), "distinct lines: {s}");
                assert!(s.lines.iter().all(|l| l.first() != Some(&0xfe)));
                let gives_up = s.gives_up_at().is_some();
                assert_eq!(gives_up, matches!(s.class, 6 | 7), "{s}");
                assert!(s.silent_tries() <= 3, "{s}");
            }
        }
    }
}
