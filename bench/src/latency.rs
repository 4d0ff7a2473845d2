//! `latency`: the distribution of single calls, not a mean. Each call is
//! timed on its own between two clock reads (`clock_gettime` through the
//! vDSO); the same two reads around nothing, the empty loop, are timed
//! the same way and their median subtracted. Reported per row: p50, p99,
//! p99.9 and max in ns, and the empty loop itself.

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::Instant;

use rustix::event::epoll;

use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};

/// One row's distribution, in ns, the empty loop's median subtracted.
#[derive(Clone, Debug)]
pub struct Row {
    pub name: String,
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// Times `f` `n` times, one call at a time; the raw ns of each call.
fn samples(n: usize, mut f: impl FnMut()) -> Vec<f64> {
    for _ in 0..n / 10 {
        f(); // warm-up
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        f();
        out.push(t0.elapsed().as_nanos() as f64);
    }
    out
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn row(name: &str, mut raw: Vec<f64>, empty: f64) -> Row {
    raw.sort_by(f64::total_cmp);
    let less = |v: f64| (v - empty).max(0.0);
    Row {
        name: name.to_string(),
        p50: less(quantile(&raw, 0.5)),
        p99: less(quantile(&raw, 0.99)),
        p999: less(quantile(&raw, 0.999)),
        max: less(*raw.last().unwrap_or(&0.0)),
    }
}

/// The rows: the empty loop, then rawepoll's wait (nothing ready, one
/// ready), `epoll_ctl(MOD)` and an eventfd round trip, each beside
/// rustix's same call.
pub fn run(n: usize) -> Result<(Row, Vec<Row>), rawepoll::Errno> {
    let mut empty = samples(n, || {});
    empty.sort_by(f64::total_cmp);
    let empty_p50 = quantile(&empty, 0.5);
    let empty_row = row("empty loop (two clock reads)", empty, 0.0);

    let idle = Epoll::new()?;
    let ready_fd = EventFd::new()?;
    let ready = Epoll::new()?;
    ready.add(&ready_fd, Token(1), Interest::READABLE)?;
    ready_fd.notify()?;
    let mut events = Events::<64>::new();
    let mut buf = [MaybeUninit::<epoll::Event>::uninit(); 64];
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut rows = Vec::new();

    let r = samples(n, || {
        black_box(idle.wait(&mut events, Timeout::ZERO).ok());
    });
    rows.push(row("rawepoll wait, 0 ready", r, empty_p50));
    let r = samples(n, || {
        black_box(
            epoll::wait(&idle, &mut buf, Some(&zero))
                .map(|(got, _)| got.len())
                .ok(),
        );
    });
    rows.push(row("rustix wait, 0 ready", r, empty_p50));
    let r = samples(n, || {
        black_box(ready.wait(&mut events, Timeout::ZERO).ok());
    });
    rows.push(row("rawepoll wait, 1 ready", r, empty_p50));
    let r = samples(n, || {
        black_box(
            epoll::wait(&ready, &mut buf, Some(&zero))
                .map(|(got, _)| got.len())
                .ok(),
        );
    });
    rows.push(row("rustix wait, 1 ready", r, empty_p50));
    let r = samples(n, || {
        black_box(ready.modify(&ready_fd, Token(1), Interest::READABLE).ok());
    });
    rows.push(row("rawepoll epoll_ctl MOD", r, empty_p50));
    let r = samples(n, || {
        let data = epoll::EventData::new_u64(1);
        black_box(epoll::modify(&ready, &ready_fd, data, epoll::EventFlags::IN).ok());
    });
    rows.push(row("rustix epoll_ctl MOD", r, empty_p50));
    let round = EventFd::new()?;
    let r = samples(n, || {
        let _ = round.notify();
        black_box(round.drain().ok());
    });
    rows.push(row("eventfd write + read", r, empty_p50));
    Ok((empty_row, rows))
}
