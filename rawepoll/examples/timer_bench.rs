//! What does a deadline cost, and how late does it fire: rawepoll's
//! `TimerSet` on one wait, against tokio (`DelayQueue`, `sleep`) and against
//! one `TimerFd` per deadline, in one run on this machine.
//!
//! ```text
//! cargo run --release --example timer_bench
//! cargo run --release --example timer_bench -- --only lateness --timer-slack-ns 1
//! ```
//!
//! **Operations.** ns per insert, cancel, postpone (reset to a later
//! deadline, the idle-timeout case), reset (to a random deadline) and
//! expire, with 1,000 and with 100,000 timers active: each the median over
//! `--rounds` batches of 1,000 operations on a structure pre-filled with
//! that many timers. For `TimerFd`, insert is `timerfd_create` +
//! `timerfd_settime` + `epoll_ctl(ADD)`, cancel is `close`, a reset is
//! `timerfd_settime`, and expire is the `epoll_wait` and `read` that take a
//! fired timer; 100,000 fds need `RLIMIT_NOFILE` raised (the bench tries,
//! and says "n/a" where it cannot).
//!
//! **Lateness.** 10,000 timers at random deadlines spread over 5 s (the
//! same deadlines for all three), fired by:
//! * rawepoll: one `Epoll::wait` on `TimerSet::timeout` (nanoseconds,
//!   through `epoll_pwait2`), then `TimerSet::pop_expired`;
//! * tokio: a current-thread runtime, one task per timer in `sleep_until`;
//! * timerfd: one `TimerFd` per deadline (absolute), all in one epoll;
//! * rawepoll_armed: the `TimerSet` driving one `TimerFd`
//!   (`TimerSet::arm`), the loop waiting with no timeout.
//!
//! Lateness is the monotonic clock read when the loop sees the timer as
//! fired, minus its deadline. The lines a script reads:
//!
//! ```text
//! lateness_us p50 rawepoll=A tokio=B timerfd=C rawepoll_armed=D
//! lateness_us p99 rawepoll=A tokio=B timerfd=C rawepoll_armed=D
//! lateness_us max rawepoll=A tokio=B timerfd=C rawepoll_armed=D
//! ns_per_op OP active=N rawepoll=A delayqueue=B timerfd=C
//! ```
//!
//! The kernel's timer slack (50 µs by default, per thread) delays every
//! wake-up of all three alike; `--timer-slack-ns N` sets it for the run.
//! Options: `--only ops|lateness`, `--rounds R` (default 9), `--timers N`
//! and `--span-ms MS` (lateness; defaults 10000 and 5000).

use std::cell::RefCell;
use std::num::NonZeroU64;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rawepoll::{Clock, Epoll, Events, Interest, Timeout, TimerFd, TimerSet, Token};
use tokio_util::time::DelayQueue;

/// Operations per timed batch.
const BATCH: usize = 1000;
/// The largest set measured: 100,000 active plus a batch.
const CAP: usize = 101_000;

struct Options {
    only: Option<String>,
    rounds: usize,
    timers: usize,
    span: Duration,
    slack: Option<u64>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        only: None,
        rounds: 9,
        timers: 10_000,
        span: Duration::from_secs(5),
        slack: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{a}: {e}"));
        match a.as_str() {
            "--only" => o.only = Some(value()?),
            "--rounds" => o.rounds = number(value()?)?.max(1) as usize,
            "--timers" => o.timers = number(value()?)?.clamp(1, 100_000) as usize,
            "--span-ms" => o.span = Duration::from_millis(number(value()?)?.max(1)),
            "--timer-slack-ns" => o.slack = Some(number(value()?)?),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    Ok(o)
}

/// A small deterministic generator: the same deadlines for every contender.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn per_op(start: Instant, ops: usize) -> f64 {
    start.elapsed().as_nanos() as f64 / ops as f64
}

/// Far enough ahead that nothing pre-filled fires during the bench.
const FAR: Duration = Duration::from_secs(3600);

/// ns per op for [insert, cancel, postpone, reset, expire].
type Costs = [f64; 5];
const OPS: [&str; 5] = ["insert", "cancel", "postpone", "reset", "expire"];

fn rawepoll_ops(active: usize, rounds: usize) -> Costs {
    let mut set: Box<TimerSet<u32, CAP>> = Box::new(TimerSet::new());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let base = set.now() + FAR;
    let mut all: Vec<_> = (0..active)
        .map(|k| {
            let at = base + Duration::from_nanos(rng.below(1_000_000_000));
            set.insert_at(at, k as u32).unwrap()
        })
        .collect();
    let mut r: [Vec<f64>; 5] = Default::default();
    for _ in 0..rounds {
        let t = Instant::now();
        let batch: Vec<_> = (0..BATCH)
            .map(|k| {
                let at = base + Duration::from_nanos(rng.below(1_000_000_000));
                set.insert_at(at, k as u32).unwrap()
            })
            .collect();
        r[0].push(per_op(t, BATCH));
        let picks: Vec<_> = (0..BATCH)
            .map(|_| all[rng.below(active as u64) as usize])
            .collect();
        let later = base + Duration::from_secs(2);
        let t = Instant::now();
        for (i, h) in picks.iter().enumerate() {
            assert!(set.reset_at(*h, later + Duration::from_nanos(i as u64)));
        }
        r[2].push(per_op(t, BATCH));
        let whens: Vec<_> = (0..BATCH)
            .map(|_| base + Duration::from_nanos(rng.below(1_000_000_000)))
            .collect();
        let t = Instant::now();
        for (h, at) in picks.iter().zip(&whens) {
            assert!(set.reset_at(*h, *at));
        }
        r[3].push(per_op(t, BATCH));
        let t = Instant::now();
        for h in &batch {
            assert!(set.cancel(*h).is_some());
        }
        r[1].push(per_op(t, BATCH));
        // Expire: a batch already due, among the active ones.
        let now = set.now();
        for k in 0..BATCH {
            set.insert_at(now, k as u32).unwrap();
        }
        let t = Instant::now();
        for _ in 0..BATCH {
            assert!(set.pop_expired(now).is_some());
        }
        r[4].push(per_op(t, BATCH));
    }
    all.clear();
    r.map(median)
}

fn delayqueue_ops(active: usize, rounds: usize) -> Costs {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut q = DelayQueue::with_capacity(CAP);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let base = tokio::time::Instant::now() + FAR;
        let all: Vec<_> = (0..active)
            .map(|k| {
                q.insert_at(
                    k as u32,
                    base + Duration::from_nanos(rng.below(1_000_000_000)),
                )
            })
            .collect();
        let mut r: [Vec<f64>; 5] = Default::default();
        for _ in 0..rounds {
            let t = Instant::now();
            let batch: Vec<_> = (0..BATCH)
                .map(|k| {
                    q.insert_at(
                        k as u32,
                        base + Duration::from_nanos(rng.below(1_000_000_000)),
                    )
                })
                .collect();
            r[0].push(per_op(t, BATCH));
            let picks: Vec<_> = (0..BATCH)
                .map(|_| all[rng.below(active as u64) as usize])
                .collect();
            let later = base + Duration::from_secs(2);
            let t = Instant::now();
            for (i, key) in picks.iter().enumerate() {
                q.reset_at(key, later + Duration::from_nanos(i as u64));
            }
            r[2].push(per_op(t, BATCH));
            let whens: Vec<_> = (0..BATCH)
                .map(|_| base + Duration::from_nanos(rng.below(1_000_000_000)))
                .collect();
            let t = Instant::now();
            for (key, at) in picks.iter().zip(&whens) {
                q.reset_at(key, *at);
            }
            r[3].push(per_op(t, BATCH));
            let t = Instant::now();
            for key in &batch {
                q.remove(key);
            }
            r[1].push(per_op(t, BATCH));
            let now = tokio::time::Instant::now();
            for k in 0..BATCH {
                q.insert_at(k as u32, now);
            }
            // Let the runtime's clock pass the batch's millisecond.
            tokio::time::sleep(Duration::from_millis(2)).await;
            let t = Instant::now();
            let mut n = 0;
            while n < BATCH {
                if let Some(e) = std::future::poll_fn(|cx| q.poll_expired(cx)).await {
                    std::hint::black_box(e.into_inner());
                    n += 1;
                }
            }
            r[4].push(per_op(t, BATCH));
        }
        r.map(median)
    })
}

fn timerfd_ops(active: usize, rounds: usize) -> Costs {
    let epoll = Epoll::new().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let base = Clock::Monotonic.now() + FAR;
    let make = |k: usize, at: Duration| {
        let t = TimerFd::new().unwrap();
        t.set_at(at, Duration::ZERO).unwrap();
        epoll.add(&t, Token(k as u64), Interest::READABLE).unwrap();
        t
    };
    let all: Vec<_> = (0..active)
        .map(|k| make(k, base + Duration::from_nanos(rng.below(1_000_000_000))))
        .collect();
    let mut r: [Vec<f64>; 5] = Default::default();
    let mut events = Events::<256>::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let batch: Vec<_> = (0..BATCH)
            .map(|k| {
                make(
                    active + k,
                    base + Duration::from_nanos(rng.below(1_000_000_000)),
                )
            })
            .collect();
        r[0].push(per_op(t, BATCH));
        let picks: Vec<_> = (0..BATCH)
            .map(|_| rng.below(active as u64) as usize)
            .collect();
        let later = base + Duration::from_secs(2);
        let t = Instant::now();
        for (i, &p) in picks.iter().enumerate() {
            all[p]
                .set_at(later + Duration::from_nanos(i as u64), Duration::ZERO)
                .unwrap();
        }
        r[2].push(per_op(t, BATCH));
        let whens: Vec<_> = (0..BATCH)
            .map(|_| base + Duration::from_nanos(rng.below(1_000_000_000)))
            .collect();
        let t = Instant::now();
        for (&p, at) in picks.iter().zip(&whens) {
            all[p].set_at(*at, Duration::ZERO).unwrap();
        }
        r[3].push(per_op(t, BATCH));
        let t = Instant::now();
        drop(batch);
        r[1].push(per_op(t, BATCH));
        let now = Clock::Monotonic.now();
        let due: Vec<_> = (0..BATCH).map(|k| make(active + k, now)).collect();
        std::thread::sleep(Duration::from_millis(2));
        let t = Instant::now();
        let mut n = 0;
        while n < BATCH {
            epoll.wait(&mut events, Timeout::NEVER).unwrap();
            for e in &events {
                let i = e.token().0 as usize - active;
                assert_eq!(due[i].read_expirations().unwrap(), 1);
                n += 1;
            }
        }
        r[4].push(per_op(t, BATCH));
        drop(due);
    }
    r.map(median)
}

/// Raises the soft fd limit to `want` (and the hard one, as root); whether
/// `want` fds are now allowed.
fn allow_fds(want: u64) -> bool {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let now = getrlimit(Resource::Nofile);
    if now.current.is_none_or(|c| c >= want) {
        return true;
    }
    let max = now.maximum.map(|m| m.max(want));
    let new = Rlimit {
        current: Some(want),
        maximum: max,
    };
    setrlimit(Resource::Nofile, new).is_ok()
}

fn fmt_ns(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.0}"))
}

fn ops(o: &Options) {
    println!(
        "# ns per operation: median of {} batches of {BATCH}",
        o.rounds
    );
    println!(
        "{:<9} {:>7} {:>9} {:>11} {:>8} {:>11} {:>10}",
        "op", "active", "rawepoll", "delayqueue", "timerfd", "dq/rawepoll", "fd/rawepoll"
    );
    for active in [1_000, 100_000] {
        let raw = rawepoll_ops(active, o.rounds);
        let dq = delayqueue_ops(active, o.rounds);
        let fd =
            allow_fds(active as u64 + 2 * BATCH as u64 + 64).then(|| timerfd_ops(active, o.rounds));
        if fd.is_none() {
            let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
            println!(
                "# timerfd, {active} active: n/a, RLIMIT_NOFILE is {:?} and cannot be raised here",
                limit.maximum
            );
        }
        for (i, op) in OPS.iter().enumerate() {
            let f = fd.map(|c| c[i]);
            println!(
                "{op:<9} {active:>7} {:>9.1} {:>11.1} {:>8} {:>10.1}x {:>10}",
                raw[i],
                dq[i],
                fmt_ns(f),
                dq[i] / raw[i],
                f.map_or("n/a".into(), |f| format!("{:.1}x", f / raw[i])),
            );
        }
        for (i, op) in OPS.iter().enumerate() {
            println!(
                "ns_per_op {op} active={active} rawepoll={:.1} delayqueue={:.1} timerfd={}",
                raw[i],
                dq[i],
                fmt_ns(fd.map(|c| c[i]))
            );
        }
    }
}

/// Deadlines: offsets from a start 300 ms ahead (room to create 10,000
/// timerfds first), uniform over the span.
fn offsets(o: &Options) -> Vec<Duration> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let span = o.span.as_nanos() as u64;
    (0..o.timers)
        .map(|_| Duration::from_millis(300) + Duration::from_nanos(rng.below(span)))
        .collect()
}

fn rawepoll_lateness(offsets: &[Duration]) -> Vec<Duration> {
    let epoll = Epoll::new().unwrap();
    let mut set: Box<TimerSet<u32, 100_000>> = Box::new(TimerSet::new());
    let start = set.now();
    let deadlines: Vec<_> = offsets.iter().map(|d| start + *d).collect();
    for (k, at) in deadlines.iter().enumerate() {
        set.insert_at(*at, k as u32).unwrap();
    }
    let mut events = Events::<8>::new();
    let mut late = Vec::with_capacity(offsets.len());
    while !set.is_empty() {
        epoll.wait(&mut events, set.timeout()).unwrap();
        let now = set.now();
        while let Some((_, k)) = set.pop_expired(now) {
            late.push(now - deadlines[k as usize]);
        }
    }
    late
}

/// The same set driven through one `TimerFd` (`TimerSet::arm`): the loop
/// waits without a timeout and the kernel's timerfd wakes it.
fn armed_lateness(offsets: &[Duration]) -> Vec<Duration> {
    let epoll = Epoll::new().unwrap();
    let timer = TimerFd::new().unwrap();
    epoll.add(&timer, Token(0), Interest::READABLE).unwrap();
    let mut set: Box<TimerSet<u32, 100_000>> = Box::new(TimerSet::new());
    let start = set.now();
    let deadlines: Vec<_> = offsets.iter().map(|d| start + *d).collect();
    for (k, at) in deadlines.iter().enumerate() {
        set.insert_at(*at, k as u32).unwrap();
    }
    let mut events = Events::<8>::new();
    let mut late = Vec::with_capacity(offsets.len());
    while !set.is_empty() {
        set.arm(&timer).unwrap();
        epoll.wait(&mut events, Timeout::NEVER).unwrap();
        let now = set.now();
        timer.read_expirations().unwrap();
        while let Some((_, k)) = set.pop_expired(now) {
            late.push(now - deadlines[k as usize]);
        }
    }
    late
}

fn tokio_lateness(offsets: &[Duration]) -> Vec<Duration> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let late = Rc::new(RefCell::new(Vec::with_capacity(offsets.len())));
    let local = tokio::task::LocalSet::new();
    let start = tokio::time::Instant::now();
    for d in offsets {
        let deadline = start + *d;
        let late = Rc::clone(&late);
        local.spawn_local(async move {
            tokio::time::sleep_until(deadline).await;
            late.borrow_mut()
                .push(tokio::time::Instant::now() - deadline);
        });
    }
    rt.block_on(local);
    Rc::try_unwrap(late).unwrap().into_inner()
}

fn timerfd_lateness(offsets: &[Duration]) -> Option<Vec<Duration>> {
    if !allow_fds(offsets.len() as u64 + 64) {
        return None;
    }
    let epoll = Epoll::new().unwrap();
    let start = Clock::Monotonic.now();
    let deadlines: Vec<_> = offsets.iter().map(|d| start + *d).collect();
    let mut timers: Vec<Option<TimerFd>> = deadlines
        .iter()
        .enumerate()
        .map(|(k, at)| {
            let t = TimerFd::new().unwrap();
            t.set_at(*at, Duration::ZERO).unwrap();
            epoll.add(&t, Token(k as u64), Interest::READABLE).unwrap();
            Some(t)
        })
        .collect();
    let mut events = Events::<256>::new();
    let mut late = Vec::with_capacity(offsets.len());
    while late.len() < offsets.len() {
        epoll.wait(&mut events, Timeout::NEVER).unwrap();
        let now = Clock::Monotonic.now();
        for e in &events {
            let k = e.token().0 as usize;
            if let Some(t) = timers[k].take() {
                assert_eq!(t.read_expirations().unwrap(), 1);
                late.push(now - deadlines[k]);
            }
        }
    }
    Some(late)
}

/// p50, p99 and max in µs.
fn percentiles(mut v: Vec<Duration>) -> [f64; 3] {
    v.sort();
    let us = |d: Duration| d.as_nanos() as f64 / 1000.0;
    [
        us(v[v.len() / 2]),
        us(v[(v.len() * 99 / 100).min(v.len() - 1)]),
        us(v[v.len() - 1]),
    ]
}

fn lateness(o: &Options) {
    let offsets = offsets(o);
    println!(
        "# lateness of {} timers over {:?}: fire time - deadline",
        o.timers, o.span
    );
    let raw = percentiles(rawepoll_lateness(&offsets));
    let tokio = percentiles(tokio_lateness(&offsets));
    let fd = timerfd_lateness(&offsets).map(percentiles);
    let armed = percentiles(armed_lateness(&offsets));
    for (i, name) in ["p50", "p99", "max"].iter().enumerate() {
        println!(
            "lateness_us {name} rawepoll={:.1} tokio={:.1} timerfd={} rawepoll_armed={:.1}",
            raw[i],
            tokio[i],
            fd.map_or("n/a".into(), |f| format!("{:.1}", f[i])),
            armed[i]
        );
    }
    println!(
        "# tokio/rawepoll: p50 {:.1}x, p99 {:.1}x",
        tokio[0] / raw[0],
        tokio[1] / raw[1]
    );
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("timer_bench: {e}");
            return ExitCode::from(2);
        }
    };
    // A thread with room for the largest sets, built in place or not.
    let run = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            if let Some(ns) = o.slack {
                rustix::thread::set_current_timer_slack(NonZeroU64::new(ns))
                    .expect("prctl(PR_SET_TIMERSLACK)");
            }
            let slack = rustix::thread::current_timer_slack().unwrap_or(0);
            println!("# timer slack of the benchmark thread: {slack} ns");
            if o.only.as_deref().is_none_or(|s| s == "lateness") {
                lateness(&o);
            }
            if o.only.as_deref().is_none_or(|s| s == "ops") {
                ops(&o);
            }
        })
        .expect("spawn the benchmark thread");
    match run.join() {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
