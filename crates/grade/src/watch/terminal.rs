//! The student's terminal while watching: keys read one at a time, without echo or Enter,
//! and the terminal given back exactly as it was found on every way out (`q`, Ctrl-C, a
//! kill, an error). Without a terminal (a pipe, a file) input is read as it comes and
//! output is plain lines.

use std::io::{IsTerminal, Read, Write};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver};
use std::thread;

/// What the student pressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Enter,
    Char(char),
    /// The input ended (a pipe or file at its end): no key will ever come.
    End,
}

/// The terminal's settings as found, while they are changed.
#[cfg(unix)]
static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);

/// Whether output goes to a terminal: then each screen replaces the last.
pub fn is_screen() -> bool {
    std::io::stdout().is_terminal()
}

/// Keys without Enter or echo, when stdin is a terminal (signals still work: Ctrl-C is
/// still SIGINT). Undone by [`restore`].
pub fn keys_at_once() {
    if !std::io::stdin().is_terminal() {
        return;
    }
    #[cfg(unix)]
    {
        let mut saved = SAVED.lock().unwrap_or_else(|e| e.into_inner());
        if saved.is_some() {
            return;
        }
        #[allow(unsafe_code)]
        // SAFETY: termios is plain data, which tcgetattr fills in for fd 0, a terminal
        // (checked above); tcsetattr only reads it.
        unsafe {
            let mut settings: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut settings) != 0 {
                return;
            }
            let found = settings;
            settings.c_lflag &= !(libc::ICANON | libc::ECHO);
            settings.c_cc[libc::VMIN] = 1;
            settings.c_cc[libc::VTIME] = 0;
            if libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &settings) == 0 {
                *saved = Some(found);
            }
        }
    }
}

/// Give the terminal back as it was found. Safe to call more than once, and from the
/// signal-watching thread.
pub fn restore() {
    #[cfg(unix)]
    {
        let mut saved = SAVED.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = saved.take() {
            #[allow(unsafe_code)]
            // SAFETY: `found` is what tcgetattr wrote for this same descriptor.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &found);
            }
        }
    }
    let _ = std::io::stdout().flush();
}

/// The keys pressed, read by a thread of its own (a read of a terminal cannot be given a
/// deadline in std; the main loop waits on the channel instead, with one).
pub fn keys() -> Receiver<Key> {
    let (sender, keys) = mpsc::channel();
    thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 64];
        loop {
            let n = match stdin.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = sender.send(Key::End);
                    return;
                }
                Ok(n) => n,
            };
            // An arrow key or another sequence (ESC ...) is no key of ours: dropped whole.
            if buf[0] == 0x1b {
                continue;
            }
            for &byte in &buf[..n] {
                let key = match byte {
                    b'\n' | b'\r' => Key::Enter,
                    b if b.is_ascii_graphic() => Key::Char(char::from(b)),
                    _ => continue,
                };
                if sender.send(key).is_err() {
                    return;
                }
            }
        }
    });
    keys
}

/// Start a new screen: on a terminal the last one is wiped (the cursor home, the screen
/// cleared, as `clear` does without erasing the scrollback); elsewhere a blank line.
pub fn new_screen() -> &'static str {
    match is_screen() {
        true => "\x1b[H\x1b[2J",
        false => "\n",
    }
}
