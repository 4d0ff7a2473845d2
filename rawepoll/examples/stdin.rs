//! Echo standard input through an epoll loop.
//!
//! ```text
//! cargo run --example stdin            # type lines; Ctrl-D to end
//! printf 'hello\n' | cargo run --example stdin
//! ```
//!
//! Registers stdin for readable, waits with a 1 s timeout, echoes whatever
//! arrived, prints a line on each timeout, and exits cleanly on end of file
//! or hang-up. If stdin is a regular file (or `/dev/null`), which epoll
//! refuses with `EPERM` because it is always ready, the file is simply read.
//!
//! It uses std's `Stdin` as an fd source; in your own crate that needs
//! `rawepoll = { version = "0.1", features = ["std"] }`.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use rawepoll::{Epoll, Errno, Events, Interest, Timeout, Token};

const STDIN: Token = Token(0);

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("stdin example: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> io::Result<()> {
    let stdin = io::stdin();
    let epoll = Epoll::new()?;
    match epoll.add(&stdin, STDIN, Interest::READABLE) {
        Ok(()) => {}
        Err(Errno::PERM) => {
            eprintln!("stdin is a regular file or /dev/null, which epoll refuses (EPERM): reading it directly");
            return copy_all(&mut stdin.lock());
        }
        Err(e) => return Err(e.into()),
    }

    let mut events = Events::<4>::new();
    let mut buf = [0u8; 4096];
    let mut out = io::stdout();
    loop {
        let n = match epoll.wait(&mut events, Timeout::from_millis(1000)) {
            Ok(n) => n,
            // A signal (e.g. SIGWINCH, or SIGCONT after Ctrl-Z) interrupted
            // the wait: just wait again.
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            writeln!(out, "(1 s without input)")?;
            continue;
        }
        for event in &events {
            debug_assert_eq!(event.token(), STDIN);
            if event.is_readable() {
                // Level-triggered: one read per event is enough; what it
                // leaves is reported again by the next wait.
                let got = rustix::io::read(&stdin, &mut buf)?;
                if got == 0 {
                    writeln!(out, "(end of input)")?;
                    return Ok(());
                }
                out.write_all(&buf[..got])?;
                out.flush()?;
            } else if event.is_hangup() || event.is_error() {
                writeln!(out, "(hang-up)")?;
                return Ok(());
            }
        }
    }
}

fn copy_all(input: &mut impl Read) -> io::Result<()> {
    let mut out = io::stdout();
    io::copy(input, &mut out)?;
    writeln!(out, "(end of input)")
}
