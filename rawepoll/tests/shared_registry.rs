//! SharedRegistry: many threads on one registry. The generation check
//! holds across threads (an event for a source another thread removed is
//! dropped, never delivered to the source that reused its slot and fd
//! number), dispatch's control flow, and registries of any size built in
//! place.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rawepoll::registry::{InsertError, Target};
use rawepoll::{
    AsFd, BorrowedFd, Errno, EventFd, Events, Interest, SharedRegistry, Timeout, Token,
};

/// A source that knows the token it was registered under.
struct Tagged {
    token: Token,
    fd: EventFd,
    alive: &'static AtomicI64,
}

/// Tagged sources alive, per test (each source holds an fd).
static ALIVE: AtomicI64 = AtomicI64::new(0);
static STRESS_ALIVE: AtomicI64 = AtomicI64::new(0);

impl Drop for Tagged {
    fn drop(&mut self) {
        self.alive.fetch_sub(1, Ordering::Relaxed);
    }
}

impl AsFd for Tagged {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

fn tagged<const N: usize>(reg: &SharedRegistry<Tagged, N>) -> Option<Token> {
    tagged_counted(reg, &ALIVE)
}

fn tagged_counted<const N: usize>(
    reg: &SharedRegistry<Tagged, N>,
    alive: &'static AtomicI64,
) -> Option<Token> {
    let fd = EventFd::new().unwrap();
    fd.notify().unwrap();
    let make = |token| {
        alive.fetch_add(1, Ordering::Relaxed);
        Tagged { token, fd, alive }
    };
    match reg.insert_with(make, Interest::READABLE) {
        Ok(t) => Some(t),
        Err(InsertError::Full(_)) => None,
        Err(e) => panic!("insert: {e}"),
    }
}

#[test]
fn an_event_for_a_source_removed_by_another_thread_is_dropped() {
    let reg = SharedRegistry::<Tagged, 4>::new();
    let a = tagged(&reg).unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    // Another thread removes A, and a new source takes its slot (and, A's
    // fd being closed, most likely its fd number) before this thread
    // dispatches.
    let a_fd = reg.lock(a).unwrap().fd.as_fd().as_raw_fd_value();
    thread::scope(|s| {
        s.spawn(|| {
            drop(reg.remove(a).unwrap());
            let b = tagged(&reg).unwrap();
            assert_eq!(b.0 & 0xffff_ffff, a.0 & 0xffff_ffff, "same slot");
            assert_ne!(b, a);
            // Usually A's fd number too; another test thread may take it
            // first, which changes nothing below.
            let b_fd = reg.lock(b).unwrap().fd.as_fd().as_raw_fd_value();
            if b_fd != a_fd {
                println!("fd {a_fd} was taken by another thread; B has {b_fd}");
            }
        });
    });
    let n = reg
        .try_dispatch(&events, |target, _| {
            panic!("delivered: {target:?}");
            #[allow(unreachable_code)]
            Ok::<(), Errno>(())
        })
        .unwrap();
    assert_eq!((n, reg.stale_events()), (0, 1));
    assert_eq!(reg.lock(a).err(), Some(Errno::NOENT));
    assert_eq!(reg.remove(a).err(), Some(Errno::NOENT));
    assert_eq!(reg.modify(a, Interest::READABLE), Err(Errno::NOENT));
}

trait RawValue {
    fn as_raw_fd_value(&self) -> i32;
}
impl RawValue for BorrowedFd<'_> {
    fn as_raw_fd_value(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.as_raw_fd()
    }
}

#[test]
fn try_dispatch_hands_foreign_tokens_and_stops_at_the_first_error() {
    let reg = SharedRegistry::<Tagged, 8>::new();
    let mine = EventFd::new().unwrap();
    reg.epoll()
        .unwrap()
        .add(&mine, Token(3), Interest::READABLE)
        .unwrap();
    mine.notify().unwrap();
    let t = tagged(&reg).unwrap();
    let mut events = Events::<8>::new();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 2);
    let mut seen = Vec::new();
    let n = reg
        .try_dispatch(&events, |target, _| {
            seen.push(match target {
                Target::Source(g) => g.token(),
                Target::Foreign(token) => token,
            });
            Ok::<(), Errno>(())
        })
        .unwrap();
    seen.sort();
    assert_eq!((n, seen), (2, vec![Token(3), t]));
    let mut calls = 0;
    let e = reg
        .try_dispatch(&events, |_, _| {
            calls += 1;
            Err("stop")
        })
        .unwrap_err();
    assert_eq!((e, calls), ("stop", 1));
    // `dispatch` gives live sources only.
    assert_eq!(reg.dispatch(&events, |g, _| assert_eq!(g.token(), t)), 1);
}

#[test]
fn oneshot_rearm_and_remove_through_the_guard() {
    let reg = SharedRegistry::<EventFd, 2>::new();
    let oneshot = Interest::READABLE | Interest::ONESHOT;
    let t = reg.insert(EventFd::new().unwrap(), oneshot).unwrap();
    reg.lock(t).unwrap().notify().unwrap();
    let mut events = Events::<2>::new();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 0, "disarmed");
    reg.lock(t).unwrap().rearm(oneshot).unwrap();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 1, "re-armed");
    assert_eq!(reg.len(), 1);
    let fd = reg.lock(t).unwrap().remove();
    assert_eq!(reg.len(), 0);
    assert_eq!(fd.drain().unwrap(), 1);
    assert!(reg.is_empty() && !reg.contains(t));
}

#[test]
fn a_full_registry_hands_the_source_back_and_insert_with_does_not_run() {
    let reg = SharedRegistry::<EventFd, 1>::new();
    reg.insert(EventFd::new().unwrap(), Interest::READABLE)
        .unwrap();
    let back = reg.insert(EventFd::new().unwrap(), Interest::READABLE);
    assert!(matches!(back, Err(InsertError::Full(_))));
    assert_eq!(back.unwrap_err().errno(), Errno::NOSPC);
    let ran = std::cell::Cell::new(false);
    let r = reg.insert_with(
        |_| {
            ran.set(true);
            EventFd::new().unwrap()
        },
        Interest::READABLE,
    );
    assert!(matches!(r, Err(InsertError::Full(_))) && !ran.get());
    // An fd epoll refuses (a regular file): EPERM, source back, slot free.
    let reg = SharedRegistry::<std::fs::File, 1>::new();
    let file = std::fs::File::open("/proc/self/stat").unwrap();
    match reg.insert(file, Interest::READABLE) {
        Err(InsertError::Errno(e, _file)) => assert_eq!(e, Errno::PERM),
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert!(reg.is_empty());
}

#[cfg(feature = "std")]
#[test]
fn a_registry_of_65536_builds_in_place_on_a_256_kib_stack() {
    // About 1 MiB of slots: on the heap without passing through the stack,
    // and as a static built at compile time.
    static STATIC: SharedRegistry<EventFd, 65536> = SharedRegistry::new();
    thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let reg = SharedRegistry::<EventFd, 65536>::new_boxed();
            assert!(std::mem::size_of_val(&*reg) > 512 << 10);
            for reg in [&*reg, &STATIC] {
                let t = reg
                    .insert(EventFd::new().unwrap(), Interest::READABLE)
                    .unwrap();
                assert!(t.is_registry());
                reg.lock(t).unwrap().notify().unwrap();
                let mut events = Events::<4>::new();
                assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 1);
                assert_eq!(reg.capacity(), 65536);
                drop(reg.remove(t).unwrap());
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Threads insert, remove and wait on one registry for a few seconds,
/// with fd numbers and slots reused all the time. Every delivered event
/// must be for the source registered under its token.
#[test]
fn concurrent_insert_remove_and_wait_never_misdeliver() {
    const N: usize = 64;
    let seconds: u64 = std::env::var("STRESS_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let reg = Arc::new(SharedRegistry::<Tagged, N>::new());
    let stop = Arc::new(AtomicBool::new(false));
    let delivered = Arc::new(AtomicU64::new(0));
    let removed_by_workers = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for w in 0..3u64 {
        let (reg, stop, delivered, removed) = (
            Arc::clone(&reg),
            Arc::clone(&stop),
            Arc::clone(&delivered),
            Arc::clone(&removed_by_workers),
        );
        threads.push(thread::spawn(move || {
            let mut events = Events::<16>::new();
            let mut n = w;
            while !stop.load(Ordering::Relaxed) {
                reg.wait(&mut events, Timeout::from_millis(1)).unwrap();
                reg.try_dispatch(&events, |target, _| {
                    let Target::Source(g) = target else {
                        panic!("no foreign fd is registered");
                    };
                    assert_eq!(
                        g.token,
                        g.token(),
                        "an event reached a source not registered under its token"
                    );
                    delivered.fetch_add(1, Ordering::Relaxed);
                    n = n
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    if n >> 62 == 0 {
                        // Removed while other threads may hold its events.
                        drop(g.remove());
                        removed.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok::<(), Errno>(())
                })
                .unwrap();
            }
        }));
    }
    // The churn thread: refills, and removes at random from outside.
    let churn = {
        let (reg, stop) = (Arc::clone(&reg), Arc::clone(&stop));
        thread::spawn(move || {
            let mut mine: Vec<Token> = Vec::new();
            let mut x = 0x9e37_79b9_7f4a_7c15u64;
            let mut removed = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if let Some(t) = tagged_counted(&reg, &STRESS_ALIVE) {
                    mine.push(t);
                }
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if !mine.is_empty() && x.is_multiple_of(3) {
                    let t = mine.swap_remove((x as usize / 3) % mine.len());
                    if reg.remove(t).is_ok() {
                        removed += 1;
                    }
                }
                if reg.len() == N {
                    thread::yield_now();
                }
            }
            removed
        })
    };
    let start = Instant::now();
    thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let removed_by_churn = churn.join().unwrap();
    for t in threads {
        t.join().unwrap();
    }
    let elapsed = start.elapsed();
    let (delivered, stale) = (delivered.load(Ordering::Relaxed), reg.stale_events());
    println!(
        "{elapsed:?}: {delivered} events delivered, {stale} stale dropped, {} removed by workers, {removed_by_churn} by the churn thread",
        removed_by_workers.load(Ordering::Relaxed)
    );
    assert!(delivered > 10_000, "too little traffic to prove anything");
    assert!(
        stale > 0,
        "no stale event arose: the race was not exercised"
    );
    // Nothing leaked: every source made was dropped (its fd closed), by
    // a remove or with the registry.
    assert_eq!(Arc::strong_count(&reg), 1, "the last reference");
    drop(reg);
    assert_eq!(STRESS_ALIVE.load(Ordering::Relaxed), 0, "sources leaked");
}

/// Walking a SharedRegistry at shutdown: every live source once, with its
/// token, in slot order; removing through the guards empties it, and the
/// removed sources no longer report events.
#[test]
fn iter_walks_every_live_source_once_and_can_empty_the_registry() {
    let registry = SharedRegistry::<EventFd, 8>::new();
    let tokens: Vec<Token> = (0..5)
        .map(|_| {
            registry
                .insert(EventFd::new().unwrap(), Interest::READABLE)
                .map_err(|e| e.errno())
                .unwrap()
        })
        .collect();
    drop(registry.remove(tokens[1]).unwrap());
    drop(registry.remove(tokens[3]).unwrap());
    let seen: Vec<Token> = registry.iter().map(|guard| guard.token()).collect();
    assert_eq!(seen, [tokens[0], tokens[2], tokens[4]]);

    // Keep dups of the sources to see that they left the epoll.
    let dups: Vec<rustix::fd::OwnedFd> = registry
        .iter()
        .map(|guard| rustix::io::dup(&*guard).unwrap())
        .collect();
    let mut removed = 0;
    for guard in registry.iter() {
        drop(guard.remove());
        removed += 1;
    }
    assert_eq!((removed, registry.len()), (3, 0));
    assert_eq!(registry.iter().count(), 0);
    for dup in &dups {
        rustix::io::write(dup, &1u64.to_ne_bytes()).unwrap();
    }
    let mut events = Events::<8>::new();
    assert_eq!(registry.wait(&mut events, Timeout::ZERO), Ok(0));
}

/// Runs `f` on a thread of its own and fails the test (rather than hang
/// it) when `f` has not returned within 10 s: the check for a call that
/// used to wait for ever.
fn within_10_s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || tx.send(f()).unwrap());
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the call waited for a lock its own thread holds")
}

#[test]
fn a_thread_that_holds_a_source_gets_edeadlk_from_its_token_not_a_hang() {
    static REG: SharedRegistry<EventFd, 4> = SharedRegistry::new();
    let oneshot = Interest::READABLE | Interest::ONESHOT;
    let t = REG.insert(EventFd::new().unwrap(), oneshot).unwrap();
    let other = REG.insert(EventFd::new().unwrap(), oneshot).unwrap();
    REG.lock(t).unwrap().notify().unwrap();
    let answers = within_10_s(move || {
        let mut events = Events::<4>::new();
        assert_eq!(
            REG.wait(&mut events, Timeout::from_millis(1000)).unwrap(),
            1
        );
        let mut answers = Vec::new();
        let mut result = None;
        REG.dispatch(&events, |guard, _| {
            // The re-arm issue #24 reported: by token, inside the handler.
            answers.push(REG.modify(guard.token(), oneshot).err());
            answers.push(REG.lock(t).err());
            answers.push(REG.remove(t).err());
            // A stale token of the held slot is still told apart.
            let stale = Token::from_parts(t.index(), t.generation() + 1);
            answers.push(REG.lock(stale).err());
            // Other sources stay reachable by token.
            answers.push(REG.modify(other, oneshot).err());
            // contains answers; a walk and a nested dispatch skip the held
            // source.
            let counts = (
                REG.contains(t),
                REG.iter().count(),
                REG.dispatch(&events, |_, _| {}),
            );
            guard.rearm(oneshot).unwrap(); // the way, through the guard
            result = Some((answers.clone(), counts));
        });
        result.unwrap()
    });
    let expected = vec![
        Some(Errno::DEADLK), // modify
        Some(Errno::DEADLK), // lock
        Some(Errno::DEADLK), // remove
        Some(Errno::NOENT),  // lock, stale
        None,                // modify, another source
    ];
    // contains: true; iter: `other` only; nested dispatch: nothing.
    assert_eq!(answers, (expected, (true, 1, 0)));
    assert_eq!(REG.stale_events(), 0, "a held source's event is not stale");
    // Nothing was lost: the source is still registered, re-armed, readable.
    let mut events = Events::<4>::new();
    assert_eq!(REG.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(REG.remove(t).unwrap().drain().unwrap(), 1);
}

#[test]
fn another_thread_still_waits_for_a_held_source_and_then_gets_it() {
    let reg = Arc::new(SharedRegistry::<EventFd, 2>::new());
    let t = reg
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .unwrap();
    let guard = reg.lock(t).unwrap();
    let started = Arc::new(AtomicBool::new(false));
    let waiter = {
        let (reg, started) = (Arc::clone(&reg), Arc::clone(&started));
        thread::spawn(move || {
            started.store(true, Ordering::SeqCst);
            reg.modify(t, Interest::WRITABLE)
        })
    };
    while !started.load(Ordering::SeqCst) {
        thread::yield_now();
    }
    thread::sleep(Duration::from_millis(50));
    assert!(
        !waiter.is_finished(),
        "another thread waits; no EDEADLK for it"
    );
    drop(guard);
    assert_eq!(waiter.join().unwrap(), Ok(()));
}
