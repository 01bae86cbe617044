//! os_args: print how many arguments this program got, then each one on its own line.
//! Book chapter: "os_args". Check your work with `cargo test -p os_args`.
//!
//! Expected output for `os_args hello "big world"`:
//!
//! ```text
//! argc: 3
//! argv[0]: target/debug/os_args
//! argv[1]: hello
//! argv[2]: big world
//! ```

fn main() {
    // Step 1. Collect the arguments. Go has `os.Args`, a []string. Rust has
    //         `std::env::args_os()`, an iterator of OsString: collect it into a Vec.
    //         (`std::env::args()` looks easier, but it panics when an argument is not
    //         valid UTF-8. Try `os_args $'\xff'` in bash after you finish.)
    //
    // Step 2. Print `argc: N`, where N counts every argument, the program name included
    //         (Go: `len(os.Args)`).
    //
    // Step 3. Print `argv[i]: <arg>` for each argument, starting at i = 0, the program
    //         name. `.iter().enumerate()` gives you i. An OsString has no Display: turn it
    //         into text with `.to_string_lossy()`.
    todo!("print argc and every argv[i]")
}
