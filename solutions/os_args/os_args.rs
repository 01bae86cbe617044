//! Reference solution for os_args: print the program's argument vector,
//! argv[0] included. The Go course's first program (`os.Args`), written so
//! that no argument can make it panic.

// ANCHOR: main
use std::env;

fn main() {
    // `env::args()` would panic on an argument that is not valid UTF-8
    // (any byte string is a legal argument on Unix). `args_os()` hands
    // over the raw OsString instead.
    let args: Vec<_> = env::args_os().collect();

    // Like Go's len(os.Args): the program's own name counts as argument 0.
    println!("argc: {}", args.len());
    for (i, arg) in args.iter().enumerate() {
        // `to_string_lossy` swaps invalid bytes for U+FFFD (�) rather than failing.
        println!("argv[{i}]: {}", arg.to_string_lossy());
    }
}
// ANCHOR_END: main
