//! A periodic timer and a cross-thread wake-up in one epoll loop.
//!
//! ```text
//! cargo run --example timers
//! ```
//!
//! A `TimerFd` ticks every 200 ms; another thread wakes the loop through an
//! `EventFd` three times, at 350 ms intervals; the loop prints what fired and
//! stops after the third wake-up.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rawepoll::{Epoll, Errno, EventFd, Events, Interest, Timeout, TimerFd, Token};

const TICK: Token = Token(1);
const WAKE: Token = Token(2);

fn main() -> rawepoll::Result<()> {
    let epoll = Epoll::new()?;
    let timer = TimerFd::new()?;
    let waker = Arc::new(EventFd::new()?);
    epoll.add(&timer, TICK, Interest::READABLE)?;
    epoll.add(&*waker, WAKE, Interest::READABLE)?;
    timer.set_periodic(Duration::from_millis(200))?;

    let remote = Arc::clone(&waker);
    let worker = thread::spawn(move || {
        for _ in 0..3 {
            thread::sleep(Duration::from_millis(350));
            remote.notify().expect("eventfd write");
        }
    });

    let start = Instant::now();
    let mut events = Events::<8>::new();
    let mut wakeups = 0;
    while wakeups < 3 {
        match epoll.wait(&mut events, Timeout::NEVER) {
            Ok(_) => {}
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
        for event in &events {
            let at = start.elapsed().as_millis();
            match event.token() {
                TICK => println!("{at:>5} ms  tick x{}", timer.read_expirations()?),
                WAKE => {
                    wakeups += 1;
                    println!("{at:>5} ms  wake-up #{wakeups} (count {})", waker.drain()?);
                }
                other => unreachable!("unknown token {other:?}"),
            }
        }
    }
    timer.disarm()?;
    worker.join().expect("worker thread");
    Ok(())
}
