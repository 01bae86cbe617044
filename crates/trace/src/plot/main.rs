//! `seqplot [--port N] FILE.pcap > FILE.svg`: the time-sequence diagram of one TCP
//! connection in a pcap file (the first, or the first with port N at either end), as an
//! SVG the book shows beside the capture's tcpdump lines. Its own small reader, so that
//! the exercise's packet printer (a student's answer) stays the student's.

mod connection;
mod pcap;
mod scale;
mod segment;
mod svg;

use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: seqplot [--port N] FILE.pcap > FILE.svg";

/// The file to read and the port that picks the connection; None on a usage error.
fn parse(args: &[std::ffi::OsString]) -> Option<(std::path::PathBuf, Option<u16>)> {
    match args {
        [file] if file != "--port" => Some((file.into(), None)),
        [flag, port, file] if flag == "--port" => {
            let port = port.to_str()?.parse().ok()?;
            Some((file.into(), Some(port)))
        }
        _ => None,
    }
}

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let Some((path, port)) = parse(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let shown = path.display();
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("error: cannot read {shown}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let capture = match pcap::read(&bytes) {
        Ok(capture) => capture,
        Err(why) => {
            eprintln!("error: {shown} is not a pcap file: {why}");
            return ExitCode::FAILURE;
        }
    };
    let segments: Vec<_> = capture
        .frames
        .iter()
        .filter_map(|f| segment::decode(capture.link, f.nanos, f.data))
        .collect();
    let Some(connection) = connection::pick(&segments, port) else {
        match port {
            Some(port) => eprintln!("error: no TCP segment in {shown} has port {port}"),
            None => eprintln!("error: {shown} holds no TCP segment"),
        }
        return ExitCode::FAILURE;
    };
    let drawn = svg::draw(&connection);
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout
        .write_all(drawn.as_bytes())
        .and_then(|()| stdout.flush())
    {
        eprintln!("error: writing the diagram: {error}");
        return ExitCode::FAILURE;
    }
    // The diagram of what could be read is written; the damage is still an error.
    if let Some(why) = capture.cut_short {
        eprintln!("error: {shown} is cut short: {why}; the diagram shows what came before");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
