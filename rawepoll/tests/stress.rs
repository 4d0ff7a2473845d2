//! Nothing lost, nothing duplicated: 10,000 registered eventfds, writer
//! threads adding known counts, reader threads draining them through
//! `Events` buffers of 1, 7, 64 and 1024 slots, in edge- and
//! level-triggered mode. At the end every fd's sum read equals its sum
//! written.
//!
//! Size: `STRESS_NOTIFICATIONS` (default 1,000,000 in release builds,
//! 100,000 in debug builds and under emulation) write calls per mode.
//! Run long: `STRESS_NOTIFICATIONS=20000000 cargo test --release --test stress`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};

mod support {
    pub mod fds;
}
use fds::open_fds;
use support::fds;

const FDS: usize = 10_000;
const WRITERS: usize = 2;

fn notifications() -> u64 {
    if let Some(n) = std::env::var("STRESS_NOTIFICATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return n;
    }
    if cfg!(debug_assertions) || !cfg!(target_arch = "x86_64") {
        100_000
    } else {
        1_000_000
    }
}

/// Raises the soft fd limit far enough; `false` (with a loud message) if
/// the hard limit forbids it.
fn raise_fd_limit(needed: u64) -> bool {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let limit = getrlimit(Resource::Nofile);
    let hard = limit.maximum.unwrap_or(u64::MAX);
    if hard < needed {
        eprintln!(
            "\n*** SKIPPED: the hard RLIMIT_NOFILE is {hard}, the stress test needs {needed} fds ***\n"
        );
        return false;
    }
    if limit.current.is_some_and(|c| c >= needed) {
        return true;
    }
    let mut raised = limit;
    raised.current = Some(needed.max(limit.current.unwrap_or(0)));
    setrlimit(Resource::Nofile, raised).unwrap();
    true
}

struct Shared {
    epoll: Epoll,
    fds: Vec<EventFd>,
    read: Vec<AtomicU64>,
    total_read: AtomicU64,
    writers_done: AtomicBool,
}

/// One reader: waits with a buffer of `N`, drains every reported fd.
fn reader<const N: usize>(
    shared: Arc<Shared>,
    start: Arc<Barrier>,
    total_written: Arc<AtomicU64>,
) -> u64 {
    let mut events = Box::new(Events::<N>::new());
    let mut waits = 0;
    start.wait();
    loop {
        let n = shared
            .epoll
            .wait(&mut events, Timeout::from_millis(10))
            .unwrap();
        waits += 1;
        for event in events.iter().take(n) {
            let i = event.token().0 as usize;
            let got = shared.fds[i].drain().unwrap();
            if got > 0 {
                shared.read[i].fetch_add(got, Ordering::Relaxed);
                shared.total_read.fetch_add(got, Ordering::SeqCst);
            }
        }
        if shared.writers_done.load(Ordering::SeqCst)
            && shared.total_read.load(Ordering::SeqCst) == total_written.load(Ordering::SeqCst)
        {
            return waits;
        }
    }
}

fn run(interest: Interest, mode: &str) {
    if !raise_fd_limit(FDS as u64 + 200) {
        return;
    }
    let total_notifications = notifications();
    let epoll = Epoll::new().unwrap();
    let fds: Vec<EventFd> = (0..FDS).map(|_| EventFd::new().unwrap()).collect();
    for (i, fd) in fds.iter().enumerate() {
        epoll.add(fd, Token(i as u64), interest).unwrap();
    }
    let shared = Arc::new(Shared {
        epoll,
        fds,
        read: (0..FDS).map(|_| AtomicU64::new(0)).collect(),
        total_read: AtomicU64::new(0),
        writers_done: AtomicBool::new(false),
    });
    let total_written = Arc::new(AtomicU64::new(0));
    let start = Arc::new(Barrier::new(WRITERS + 4 + 1));

    let readers = vec![
        {
            let (s, b, t) = (
                Arc::clone(&shared),
                Arc::clone(&start),
                Arc::clone(&total_written),
            );
            thread::spawn(move || reader::<1>(s, b, t))
        },
        {
            let (s, b, t) = (
                Arc::clone(&shared),
                Arc::clone(&start),
                Arc::clone(&total_written),
            );
            thread::spawn(move || reader::<7>(s, b, t))
        },
        {
            let (s, b, t) = (
                Arc::clone(&shared),
                Arc::clone(&start),
                Arc::clone(&total_written),
            );
            thread::spawn(move || reader::<64>(s, b, t))
        },
        {
            let (s, b, t) = (
                Arc::clone(&shared),
                Arc::clone(&start),
                Arc::clone(&total_written),
            );
            thread::spawn(move || reader::<1024>(s, b, t))
        },
    ];

    let per_writer = total_notifications / WRITERS as u64;
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let shared = Arc::clone(&shared);
            let start = Arc::clone(&start);
            let total_written = Arc::clone(&total_written);
            thread::spawn(move || {
                // A deterministic spread over all fds, counts 1..=3.
                let mut written = vec![0u64; FDS];
                let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ (w as u64 + 1);
                start.wait();
                for _ in 0..per_writer {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let i = (x % FDS as u64) as usize;
                    let count = 1 + (x >> 40) % 3;
                    rustix::io::write(&shared.fds[i], &count.to_ne_bytes()).unwrap();
                    written[i] += count;
                    total_written.fetch_add(count, Ordering::SeqCst);
                }
                written
            })
        })
        .collect();

    let began = Instant::now();
    start.wait();
    let mut written = vec![0u64; FDS];
    for w in writers {
        for (sum, n) in written.iter_mut().zip(w.join().unwrap()) {
            *sum += n;
        }
    }
    shared.writers_done.store(true, Ordering::SeqCst);
    // Every reader returns once all that was written has been read; a lost
    // wake-up would leave them waiting: give up after 60 s.
    let deadline = Instant::now() + Duration::from_secs(60);
    while shared.total_read.load(Ordering::SeqCst) < total_written.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "{mode}: stuck with {} of {} read: a wake-up was lost",
            shared.total_read.load(Ordering::SeqCst),
            total_written.load(Ordering::SeqCst)
        );
        thread::sleep(Duration::from_millis(5));
    }
    let waits: Vec<u64> = readers.into_iter().map(|r| r.join().unwrap()).collect();

    let mut lost = 0u64;
    let mut duplicated = 0u64;
    for (i, &w) in written.iter().enumerate() {
        let r = shared.read[i].load(Ordering::SeqCst);
        lost += w.saturating_sub(r);
        duplicated += r.saturating_sub(w);
    }
    let total: u64 = written.iter().sum();
    println!(
        "{mode}: {} notifications ({total} counted) over {FDS} fds in {:?}; waits by buffer 1/7/64/1024: {waits:?}; lost {lost}, duplicated {duplicated}",
        per_writer * WRITERS as u64,
        began.elapsed()
    );
    assert_eq!((lost, duplicated), (0, 0), "{mode}");
    assert_eq!(shared.total_read.load(Ordering::SeqCst), total);
}

/// One test, both modes in turn: they would otherwise share the two cores
/// and each other's fd count.
#[test]
fn nothing_lost_nothing_duplicated_edge_and_level() {
    let before = open_fds();
    run(Interest::READABLE | Interest::EDGE, "edge-triggered");
    run(Interest::READABLE, "level-triggered");
    let after = open_fds();
    println!("open fds before {before}, after {after}");
    assert_eq!(before, after, "fds leaked");
}
