//! Signals read through a `SignalFd` in an epoll loop.
//!
//! ```text
//! cargo run --example signals &
//! kill -HUP %1     # "reloading configuration"
//! kill -TERM %1    # graceful shutdown, exit code 0
//! ```
//!
//! SIGINT, SIGTERM and SIGHUP are blocked (before any thread exists, so no
//! thread can take them the usual way) and read as records from the fd:
//! INT and TERM shut down gracefully, HUP "reloads". A heartbeat timer shows
//! the loop is alive without waking it when nothing is due.

use std::time::Duration;

use rawepoll::{
    block_signals, set_signal_mask, Epoll, Errno, Events, Interest, SigSet, Signal, SignalFd,
    Timeout, TimerFd, Token,
};

const SIGNALS: Token = Token(0);
const HEARTBEAT: Token = Token(1);
const HANDLED: SigSet = SigSet::empty()
    .with(Signal::INT)
    .with(Signal::TERM)
    .with(Signal::HUP);

fn main() -> rawepoll::Result<()> {
    let old_mask = block_signals(&HANDLED)?;
    let signals = SignalFd::new(&HANDLED)?;
    let heartbeat = TimerFd::new()?;
    heartbeat.set_periodic(Duration::from_secs(5))?;

    let epoll = Epoll::new()?;
    epoll.add(&signals, SIGNALS, Interest::READABLE)?;
    epoll.add(&heartbeat, HEARTBEAT, Interest::READABLE)?;
    println!("pid {}: send me HUP, INT or TERM", std::process::id());

    let mut events = Events::<4>::new();
    let mut reloads = 0;
    'run: loop {
        match epoll.wait(&mut events, Timeout::NEVER) {
            Ok(_) => {}
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
        for event in &events {
            if event.token() == HEARTBEAT {
                heartbeat.read_expirations()?;
                println!("alive ({reloads} reloads so far)");
                continue;
            }
            // Read every pending signal: the fd stays readable until empty.
            while let Some(info) = signals.read()? {
                let signo = info.signal();
                if signo == Signal::HUP.as_raw() {
                    reloads += 1;
                    println!("SIGHUP from pid {}: reloading configuration", info.pid());
                } else {
                    let name = if signo == Signal::INT.as_raw() {
                        "SIGINT"
                    } else {
                        "SIGTERM"
                    };
                    println!("{name} from pid {}: shutting down", info.pid());
                    break 'run;
                }
            }
        }
    }
    // Restore the mask we started with (what a child should inherit).
    set_signal_mask(&old_mask)?;
    println!("bye");
    Ok(())
}
