//! `TimerSet` against a sorted reference model (proptest): inserts,
//! cancels, resets (earlier and later), expiries, equal deadlines, stale
//! handles and a full set; then the clock-facing parts against the kernel.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rawepoll::timer_set::TimerHandle;
use rawepoll::{Clock, Epoll, Errno, Events, Timeout, TimerFd, TimerSet};

/// Small, so that a case fills the set and reuses slots often.
const N: usize = 8;

#[derive(Clone, Debug)]
enum Op {
    Insert(u64),
    /// Index into every handle ever issued (many of them stale).
    Cancel(usize),
    Reset(usize, u64),
    Expire(u64),
    Peek,
}

fn op() -> impl Strategy<Value = Op> {
    // Deadlines in a narrow range: many equal ones.
    prop_oneof![
        4 => (0..24u64).prop_map(Op::Insert),
        2 => any::<usize>().prop_map(Op::Cancel),
        3 => (any::<usize>(), 0..24u64).prop_map(|(i, w)| Op::Reset(i, w)),
        2 => (0..28u64).prop_map(Op::Expire),
        1 => Just(Op::Peek),
    ]
}

/// The reference: pending timers as (deadline, order, handle, key),
/// expired in sorted order.
#[derive(Default)]
struct Model {
    pending: Vec<(u64, u64, TimerHandle, u32)>,
    order: u64,
}

impl Model {
    fn find(&self, h: TimerHandle) -> Option<usize> {
        self.pending.iter().position(|p| p.2 == h)
    }
    fn earliest(&self) -> Option<usize> {
        (0..self.pending.len()).min_by_key(|&i| (self.pending[i].0, self.pending[i].1))
    }
}

fn ns(n: u64) -> Duration {
    Duration::from_nanos(n)
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut set = TimerSet::<u32, N>::new();
    let mut model = Model::default();
    let mut handles: Vec<TimerHandle> = Vec::new();
    let mut next_key = 0u32;
    for op in ops {
        match op {
            Op::Insert(when) => {
                next_key += 1;
                match set.insert_at(ns(when), next_key) {
                    Ok(h) => {
                        prop_assert!(model.pending.len() < N, "accepted past capacity");
                        prop_assert!(model.find(h).is_none(), "a live handle issued twice");
                        model.order += 1;
                        model.pending.push((when, model.order, h, next_key));
                        handles.push(h);
                    }
                    Err(full) => {
                        prop_assert_eq!(model.pending.len(), N, "refused below capacity");
                        prop_assert_eq!(full.errno(), Errno::NOSPC);
                        prop_assert_eq!(full.into_key(), next_key, "the key comes back");
                    }
                }
            }
            Op::Cancel(i) if !handles.is_empty() => {
                let h = handles[i % handles.len()];
                let got = set.cancel(h);
                match model.find(h) {
                    Some(at) => prop_assert_eq!(got, Some(model.pending.remove(at).3)),
                    None => prop_assert_eq!(got, None, "a stale handle cancelled something"),
                }
            }
            Op::Reset(i, when) if !handles.is_empty() => {
                let h = handles[i % handles.len()];
                let done = set.reset_at(h, ns(when));
                match model.find(h) {
                    Some(at) => {
                        prop_assert!(done);
                        model.order += 1;
                        model.pending[at].0 = when;
                        model.pending[at].1 = model.order;
                    }
                    None => prop_assert!(!done, "a stale handle reset something"),
                }
            }
            Op::Expire(now) => {
                let mut got = Vec::new();
                while let Some((h, key)) = set.pop_expired(ns(now)) {
                    got.push((h, key));
                }
                let mut want = Vec::new();
                while let Some(i) = model.earliest() {
                    if model.pending[i].0 > now {
                        break;
                    }
                    let (_, _, h, key) = model.pending.remove(i);
                    want.push((h, key));
                }
                prop_assert_eq!(got, want);
            }
            Op::Cancel(_) | Op::Reset(..) | Op::Peek => {}
        }
        // After every step: the same pending timers, deadlines and keys.
        prop_assert_eq!(set.len(), model.pending.len());
        prop_assert_eq!(set.is_full(), model.pending.len() == N);
        let want = model.earliest().map(|i| ns(model.pending[i].0));
        prop_assert_eq!(set.next_deadline(), want);
        for &h in &handles {
            let m = model.find(h).map(|i| model.pending[i]);
            prop_assert_eq!(set.contains(h), m.is_some());
            prop_assert_eq!(set.get(h).copied(), m.map(|p| p.3));
            prop_assert_eq!(set.deadline(h), m.map(|p| ns(p.0)));
            prop_assert_eq!(TimerHandle::from_u64(h.to_u64()), h);
        }
    }
    // Drain: everything left comes out in (deadline, order) order.
    let mut rest = Vec::new();
    while let Some((_, key)) = set.pop_expired(Duration::MAX) {
        rest.push(key);
    }
    model.pending.sort_by_key(|p| (p.0, p.1));
    prop_assert_eq!(rest, model.pending.iter().map(|p| p.3).collect::<Vec<_>>());
    Ok(())
}

fn cases() -> u32 {
    std::env::var("MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

#[test]
fn timer_set_matches_a_sorted_reference() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        source_file: Some(file!()),
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 1..120), run);
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn equal_deadlines_fire_in_insertion_order_and_a_reset_counts_as_new() {
    let mut set = TimerSet::<char, 4>::new();
    let at = ns(100);
    let a = set.insert_at(at, 'a').unwrap();
    set.insert_at(at, 'b').unwrap();
    set.insert_at(at, 'c').unwrap();
    assert!(set.reset_at(a, at));
    let order: Vec<char> = std::iter::from_fn(|| set.pop_expired(at).map(|(_, k)| k)).collect();
    assert_eq!(order, ['b', 'c', 'a']);
}

#[test]
fn a_large_set_keeps_its_order_under_postponing() {
    // 100 000 timers on a thread with room for them (about 4 MB inline).
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let mut set = Box::new(TimerSet::<u32, 100_000>::new());
            let mut x = 0x2545_f491_4f6c_dd1du64;
            let mut rand = move || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            let handles: Vec<_> = (0..100_000u32)
                .map(|k| set.insert_at(ns(rand() % 1_000_000), k).unwrap())
                .collect();
            for _ in 0..300_000 {
                let h = handles[(rand() % 100_000) as usize];
                let when = rand() % 2_000_000;
                assert!(set.reset_at(h, ns(when)));
            }
            // Every timer comes out once, deadlines never decreasing, and
            // each at its last reset's deadline.
            let mut last = Duration::ZERO;
            let mut n = 0;
            while let Some(d) = set.next_deadline() {
                assert!(d >= last, "deadline went back: {d:?} after {last:?}");
                last = d;
                let (h, _) = set.pop_expired(d).unwrap();
                assert!(!set.contains(h), "an expired handle is stale");
                n += 1;
            }
            assert_eq!(n, 100_000);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn the_timeout_is_the_time_to_the_earliest_deadline() {
    let mut set = TimerSet::<u8, 4>::new();
    assert_eq!(set.timeout(), Timeout::NEVER);
    set.insert_after(Duration::from_secs(10), 1).unwrap();
    set.insert_after(Duration::from_secs(3), 2).unwrap();
    let t = set.timeout().as_duration().unwrap();
    assert!(
        t <= Duration::from_secs(3) && t > Duration::from_millis(2900),
        "{t:?}"
    );
    let past = set.now().saturating_sub(Duration::from_secs(1));
    set.insert_at(past, 3).unwrap();
    assert_eq!(set.timeout(), Timeout::ZERO);
    assert_eq!(set.expired().map(|(_, k)| k).collect::<Vec<_>>(), [3]);
}

#[test]
fn a_wait_on_the_timeout_fires_the_timers_on_time_and_in_order() {
    let epoll = Epoll::new().unwrap();
    let mut set = TimerSet::<u32, 64>::new();
    let start = Instant::now();
    let base = set.now();
    // 50 deadlines 200 µs apart, inserted in reverse.
    for k in (0..50u32).rev() {
        set.insert_at(base + Duration::from_micros(1000 + 200 * u64::from(k)), k)
            .unwrap();
    }
    let mut events = Events::<4>::new();
    let mut fired = Vec::new();
    while !set.is_empty() {
        let n = epoll.wait(&mut events, set.timeout()).unwrap();
        assert_eq!(n, 0, "no fd is registered");
        // One clock reading for the check and the expiry (`expired()` would
        // read the clock again, later: under qemu-user, 70 µs later).
        let now = set.now();
        while let Some((_, k)) = set.pop_expired(now) {
            let deadline = base + Duration::from_micros(1000 + 200 * u64::from(k));
            assert!(
                now >= deadline,
                "timer {k} fired {:?} early",
                deadline - now
            );
            fired.push(k);
        }
    }
    assert_eq!(fired, (0..50).collect::<Vec<_>>());
    assert!(start.elapsed() >= Duration::from_micros(1000 + 200 * 49));
}

#[test]
fn arm_drives_a_timerfd_to_the_earliest_deadline() {
    let timer = TimerFd::new().unwrap();
    let epoll = Epoll::new().unwrap();
    epoll
        .add(&timer, rawepoll::Token(1), rawepoll::Interest::READABLE)
        .unwrap();
    let mut set = TimerSet::<u8, 4>::new();
    set.arm(&timer).unwrap();
    assert_eq!(timer.time_left().unwrap(), None, "empty set: disarmed");
    let late = set.insert_after(Duration::from_secs(60), 1).unwrap();
    set.insert_after(Duration::from_millis(5), 2).unwrap();
    set.arm(&timer).unwrap();
    let left = timer.time_left().unwrap().unwrap();
    assert!(left <= Duration::from_millis(5), "{left:?}");
    let mut events = Events::<4>::new();
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(1000)).unwrap(),
        1
    );
    assert_eq!(timer.read_expirations().unwrap(), 1);
    assert_eq!(set.expired().map(|(_, k)| k).collect::<Vec<_>>(), [2]);
    set.arm(&timer).unwrap();
    assert!(timer.time_left().unwrap().unwrap() > Duration::from_secs(59));
    assert_eq!(set.cancel(late), Some(1));
    set.arm(&timer).unwrap();
    assert_eq!(timer.time_left().unwrap(), None);
}

#[test]
fn a_boottime_set_reads_the_boot_clock() {
    let set = TimerSet::<u8, 1>::with_clock(Clock::Boottime);
    assert_eq!(set.clock(), Clock::Boottime);
    // Boot time is monotonic time plus time suspended: read after a
    // monotonic reading, it is never behind it, however slow the machine
    // (the check used to read the monotonic clock second, with 1 ms of
    // slack, and failed under qemu-s390x on a loaded machine).
    let mono = Clock::Monotonic.now();
    let before = Clock::Boottime.now();
    let now = set.now();
    assert!(now >= before && before >= mono);
}

#[test]
fn a_static_set_needs_no_unsafe() {
    use std::sync::Mutex;
    static TIMERS: Mutex<TimerSet<u32, 16>> = Mutex::new(TimerSet::new());
    let mut set = TIMERS.lock().unwrap();
    let h = set.insert_after(Duration::from_secs(1), 9).unwrap();
    assert_eq!(set.cancel(h), Some(9));
}

#[cfg(feature = "std")]
#[test]
fn full_set_converts_into_an_io_error() {
    fn fill() -> std::io::Result<()> {
        let mut set = TimerSet::<u8, 1>::new();
        set.insert_after(Duration::ZERO, 1)?;
        set.insert_after(Duration::ZERO, 2)?;
        Ok(())
    }
    let e = fill().unwrap_err();
    assert_eq!(e.raw_os_error(), Some(Errno::NOSPC.raw_os_error()));
}
