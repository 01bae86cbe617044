//! The diagram, written as SVG text: sequence numbers against time, as the Kurose & Ross
//! Wireshark lab's "Stevens" graph draws them. Each direction has its colour: its data
//! segments as bars from seq to seq+len, the other side's acknowledgements as a dashed
//! step line and the window it offers (ack + window) as a dotted one, in that direction's
//! numbering. Coordinates are rounded to a tenth of a pixel, so one capture always gives
//! the same bytes.

use std::fmt::Write as _;

use crate::connection::{Connection, Placed};
use crate::scale::{label, tick_step, time_unit};
use crate::segment::{FIN, RST, SYN};

const WIDTH: f64 = 760.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 740.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 380.0;
const LEGEND_ROW: f64 = 17.0;
/// From the time axis to the legend's first row: the tick labels and the axis's title.
const LEGEND_TOP: f64 = 62.0;
const COLOURS: [&str; 2] = ["#1f5fbf", "#d9730d"];
const RETRANSMISSION: &str = "#c81e1e";
const MOST_TICKS: u64 = 8;

/// Where a value lands on the page.
struct Frame {
    time_top: u64,
    value_bottom: i64,
    value_top: i64,
}

impl Frame {
    fn x(&self, nanos: u64) -> f64 {
        LEFT + nanos as f64 / self.time_top as f64 * (RIGHT - LEFT)
    }

    fn y(&self, value: i64) -> f64 {
        let span = (self.value_top - self.value_bottom) as f64;
        BOTTOM - (value - self.value_bottom) as f64 / span * (BOTTOM - TOP)
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// How much of its sender's numbering a segment takes: its bytes, and one for a SYN or FIN.
fn occupies(s: &Placed) -> i64 {
    i64::from(s.len) + i64::from(s.flags & SYN != 0) + i64::from(s.flags & FIN != 0)
}

/// The step lines of one direction's numbering: the other side's acknowledgements, and
/// the same plus the window it offers. Each as (time, value) corners.
fn steps(connection: &Connection, direction: usize, with_window: bool) -> Vec<(u64, i64)> {
    let mut corners: Vec<(u64, i64)> = Vec::new();
    for s in connection
        .segments
        .iter()
        .filter(|s| s.direction != direction)
    {
        let (Some(ack), window) = (s.ack, s.window) else {
            continue;
        };
        let value = match (with_window, window) {
            (false, _) => ack,
            (true, Some(window)) => ack.saturating_add(i64::try_from(window).unwrap_or(0)),
            (true, None) => continue,
        };
        match corners.last() {
            Some(&(_, last)) if last == value => {}
            Some(&(_, last)) => corners.extend([(s.nanos, last), (s.nanos, value)]),
            None => corners.push((s.nanos, value)),
        }
    }
    corners
}

fn polyline(out: &mut String, frame: &Frame, corners: &[(u64, i64)], end: u64, style: &str) {
    let Some(&(_, last)) = corners.last() else {
        return;
    };
    let mut points = String::new();
    for &(t, v) in corners.iter().chain([&(end, last)]) {
        let _ = write!(points, "{:.1},{:.1} ", frame.x(t), frame.y(v));
    }
    let _ = writeln!(
        out,
        r#"<polyline fill="none" {style} points="{}"/>"#,
        points.trim_end()
    );
}

/// The whole SVG document for `connection`.
pub fn draw(connection: &Connection) -> String {
    let segments = &connection.segments;
    let time_end = segments.iter().map(|s| s.nanos).max().unwrap_or(0).max(1);
    let mut values: Vec<i64> = vec![0];
    for s in segments {
        values.extend([s.seq, s.seq + occupies(s)]);
        values.extend(s.ack);
    }
    let (low, high) = (
        values.iter().copied().min().unwrap_or(0),
        values.iter().copied().max().unwrap_or(0).max(1),
    );
    let value_step = tick_step(low.abs_diff(high), MOST_TICKS) as i64;
    let time_step = tick_step(time_end, MOST_TICKS);
    let frame = Frame {
        time_top: time_end.div_ceil(time_step) * time_step,
        value_bottom: low.div_euclid(value_step) * value_step,
        value_top: (high + value_step - 1).div_euclid(value_step) * value_step,
    };
    let legend = legend_entries(connection);
    let rows = legend[0].len().max(legend[1].len());
    let height = BOTTOM + LEGEND_TOP + LEGEND_ROW * rows as f64;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    let title = format!(
        "TCP time-sequence diagram: {} and {}",
        connection.ends[0], connection.ends[1]
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    let _ = writeln!(
        out,
        r#"<rect width="{WIDTH}" height="{height}" fill="white"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="22" text-anchor="middle" font-size="13">{}</text>"#,
        (LEFT + RIGHT) / 2.0,
        escape(&title)
    );
    axes(&mut out, &frame, time_step, value_step);
    let _ = writeln!(
        out,
        r#"<clipPath id="plot-area"><rect x="{LEFT}" y="{TOP}" width="{:.1}" height="{:.1}"/></clipPath>"#,
        RIGHT - LEFT,
        BOTTOM - TOP
    );
    // The window's line runs off the top wherever the window is larger than what was
    // sent, which is most of the time: only the window needs clipping.
    let _ = writeln!(out, r#"<g clip-path="url(#plot-area)">"#);
    for (direction, colour) in COLOURS.iter().enumerate() {
        let window = steps(connection, direction, true);
        let style = format!(r#"stroke="{colour}" stroke-width="1" stroke-dasharray="1 3""#);
        polyline(&mut out, &frame, &window, time_end, &style);
    }
    let _ = writeln!(out, "</g>");
    for (direction, colour) in COLOURS.iter().enumerate() {
        let acks = steps(connection, direction, false);
        let style = format!(r#"stroke="{colour}" stroke-width="1" stroke-dasharray="5 3""#);
        polyline(&mut out, &frame, &acks, time_end, &style);
    }
    for s in segments {
        marks(&mut out, &frame, s);
    }
    draw_legend(&mut out, &legend);
    let _ = writeln!(out, "</svg>");
    out
}

fn axes(out: &mut String, frame: &Frame, time_step: u64, value_step: i64) {
    let (unit_name, unit) = time_unit(frame.time_top);
    let grid = r##"stroke="#e4e4e4" stroke-width="1""##;
    let mut t = 0;
    while t <= frame.time_top {
        let x = frame.x(t);
        let _ = writeln!(
            out,
            r#"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" {grid}/>"#,
            BOTTOM + 4.0
        );
        let _ = writeln!(
            out,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            BOTTOM + 16.0,
            label(t, time_step, unit)
        );
        t += time_step;
    }
    let mut v = frame.value_bottom;
    while v <= frame.value_top {
        let y = frame.y(v);
        let _ = writeln!(
            out,
            r#"<line x1="{:.1}" y1="{y:.1}" x2="{RIGHT}" y2="{y:.1}" {grid}/>"#,
            LEFT - 4.0
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{v}</text>"#,
            LEFT - 7.0,
            y + 4.0
        );
        v += value_step;
    }
    let _ = writeln!(
        out,
        r#"<polyline fill="none" stroke="black" stroke-width="1" points="{LEFT},{TOP} {LEFT},{BOTTOM} {RIGHT},{BOTTOM}"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">time since the first segment ({unit_name})</text>"#,
        (LEFT + RIGHT) / 2.0,
        BOTTOM + 34.0
    );
    let middle = (TOP + BOTTOM) / 2.0;
    let _ = writeln!(
        out,
        r#"<text x="16" y="{middle:.1}" text-anchor="middle" transform="rotate(-90 16 {middle:.1})">relative sequence number (bytes)</text>"#
    );
}

/// One segment's marks: a bar for what it occupies, its flags' names, a zero window it
/// advertises (in the other direction's numbering, at the acknowledgement) or a probe.
fn marks(out: &mut String, frame: &Frame, s: &Placed) {
    let x = frame.x(s.nanos);
    let colour = if s.retransmission {
        RETRANSMISSION
    } else {
        COLOURS[s.direction]
    };
    let length = occupies(s);
    if length > 0 {
        let (y1, y2) = (frame.y(s.seq), frame.y(s.seq + length));
        let _ = writeln!(
            out,
            r#"<path d="M{:.1},{y1:.1}H{:.1}M{x:.1},{y1:.1}V{y2:.1}M{:.1},{y2:.1}H{:.1}" stroke="{colour}" stroke-width="1.5" fill="none"/>"#,
            x - 2.5,
            x + 2.5,
            x - 2.5,
            x + 2.5
        );
    }
    let names: Vec<&str> = [(SYN, "SYN"), (FIN, "FIN"), (RST, "RST")]
        .into_iter()
        .filter(|(flag, _)| s.flags & flag != 0)
        .map(|(_, name)| name)
        .collect();
    if !names.is_empty() {
        // The second side's label a line higher, so that a SYN and its SYN-ACK
        // microseconds apart do not print over each other.
        let rise = 5.0 + 12.0 * s.direction as f64;
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" fill="{colour}">{}</text>"#,
            x + 3.0,
            frame.y(s.seq + length) - rise,
            names.join(",")
        );
    }
    if s.probe {
        let _ = writeln!(
            out,
            r#"<circle cx="{x:.1}" cy="{:.1}" r="6" fill="none" stroke="{colour}" stroke-width="1.5"/>"#,
            frame.y(s.seq)
        );
    }
    // Small and filled, so that a probe's circle drawn round the same point shows.
    if let (true, Some(ack)) = (s.zero_window, s.ack) {
        let y = frame.y(ack);
        let _ = writeln!(
            out,
            r#"<path d="M{x:.1},{:.1}L{:.1},{y:.1}L{x:.1},{:.1}L{:.1},{y:.1}Z" fill="black"/>"#,
            y - 3.5,
            x + 3.5,
            y + 3.5,
            x - 3.5
        );
    }
}

/// What the legend shows: only what the diagram holds.
enum Sample {
    Bar(&'static str),
    Line(&'static str, &'static str),
    Circle(&'static str),
    Diamond,
}

/// The legend's two columns: each direction's entries in its own, the marks common to
/// both below the shorter.
fn legend_entries(connection: &Connection) -> [Vec<(Sample, String)>; 2] {
    let segments = &connection.segments;
    let mut columns = [Vec::new(), Vec::new()];
    for (d, entries) in columns.iter_mut().enumerate() {
        let (me, other) = (connection.ends[d], connection.ends[1 - d]);
        let colour = COLOURS[d];
        let mine = |s: &&Placed| s.direction == d;
        let theirs = |s: &&Placed| s.direction != d;
        if segments.iter().filter(mine).any(|s| occupies(s) > 0) {
            entries.push((Sample::Bar(colour), format!("bytes sent by {me}")));
        }
        if segments.iter().filter(theirs).any(|s| s.ack.is_some()) {
            entries.push((
                Sample::Line(colour, "5 3"),
                format!("acknowledged by {other}"),
            ));
        }
        if segments
            .iter()
            .filter(theirs)
            .any(|s| s.ack.is_some() && s.window.is_some())
        {
            entries.push((
                Sample::Line(colour, "1 3"),
                format!("window {other} offers (ack + win)"),
            ));
        }
        if segments.iter().filter(mine).any(|s| s.probe) {
            entries.push((Sample::Circle(colour), format!("window probe from {me}")));
        }
    }
    let shorter =
        |columns: &[Vec<(Sample, String)>; 2]| usize::from(columns[1].len() < columns[0].len());
    if segments.iter().any(|s| s.retransmission) {
        let column = shorter(&columns);
        columns[column].push((Sample::Bar(RETRANSMISSION), "retransmission".to_string()));
    }
    if segments.iter().any(|s| s.zero_window && s.ack.is_some()) {
        let column = shorter(&columns);
        columns[column].push((Sample::Diamond, "zero window advertised".to_string()));
    }
    columns
}

/// The entries in two columns under the time axis.
fn draw_legend(out: &mut String, columns: &[Vec<(Sample, String)>; 2]) {
    let placed = columns.iter().enumerate().flat_map(|(column, entries)| {
        entries
            .iter()
            .enumerate()
            .map(move |(row, entry)| (column, row, entry))
    });
    for (column, row, (sample, text)) in placed {
        let x = LEFT + column as f64 * 340.0;
        let y = BOTTOM + LEGEND_TOP + LEGEND_ROW * row as f64;
        let _ = match sample {
            Sample::Bar(colour) => writeln!(
                out,
                r#"<path d="M{:.1},{:.1}V{:.1}" stroke="{colour}" stroke-width="3"/>"#,
                x + 10.0,
                y - 6.0,
                y + 6.0
            ),
            Sample::Line(colour, dashes) => writeln!(
                out,
                r#"<path d="M{x:.1},{y:.1}H{:.1}" stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dashes}"/>"#,
                x + 20.0
            ),
            Sample::Circle(colour) => writeln!(
                out,
                r#"<circle cx="{:.1}" cy="{y:.1}" r="6" fill="none" stroke="{colour}" stroke-width="1.5"/>"#,
                x + 10.0
            ),
            Sample::Diamond => writeln!(
                out,
                r#"<path d="M{:.1},{:.1}l3.5,3.5l-3.5,3.5l-3.5,-3.5Z" fill="black"/>"#,
                x + 10.0,
                y - 3.5
            ),
        };
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            x + 28.0,
            y + 4.0,
            escape(text)
        );
    }
}
