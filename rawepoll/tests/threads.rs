//! Threads: several threads, each with its own epoll, waiting on one shared
//! eventfd with and without EXCLUSIVE; and several threads sharing one
//! `Arc<Epoll>` with ONESHOT re-arming. Every notification is handled, no
//! thread is stuck. Wake-up counts are reported, not timed.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};

const THREADS: usize = 4;
const NOTIFICATIONS: u64 = 200;

/// Each thread has its own epoll watching one shared eventfd, edge-triggered
/// and never drained, so every `notify` is a new edge for every epoll it
/// reaches. Returns (total wake-ups of all threads, notifications handled):
/// a notification is handled when at least one thread woke for it.
fn wakeups_per_notification(interest: Interest) -> (u64, u64) {
    let shared = Arc::new(EventFd::new().unwrap());
    let wakeups = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let waiters: Vec<_> = (0..THREADS)
        .map(|_| {
            let (wakeups, stop) = (Arc::clone(&wakeups), Arc::clone(&stop));
            let epoll = Epoll::new().unwrap();
            epoll.add(&*shared, Token(0), interest).unwrap();
            thread::spawn(move || {
                let mut events = Events::<1>::new();
                while !stop.load(Ordering::SeqCst) {
                    if epoll.wait(&mut events, Timeout::from_millis(20)).unwrap() == 1 {
                        wakeups.fetch_add(1, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(50)); // all waiting
    let mut handled = 0;
    for i in 1..=NOTIFICATIONS {
        let before = wakeups.load(Ordering::SeqCst);
        shared.notify().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while wakeups.load(Ordering::SeqCst) == before {
            assert!(
                Instant::now() < deadline,
                "notification {i} woke nobody: a thread is stuck"
            );
            thread::yield_now();
        }
        handled += 1;
        // Let every woken thread count itself and get back into its wait.
        thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::SeqCst);
    for w in waiters {
        w.join().unwrap();
    }
    (wakeups.load(Ordering::SeqCst), handled)
}

#[test]
fn exclusive_wakes_fewer_threads_and_loses_nothing() {
    let (shared_wakeups, shared_handled) =
        wakeups_per_notification(Interest::READABLE | Interest::EDGE);
    let (excl_wakeups, excl_handled) =
        wakeups_per_notification(Interest::READABLE | Interest::EDGE | Interest::EXCLUSIVE);
    println!(
        "{THREADS} threads, {NOTIFICATIONS} notifications: {shared_wakeups} wake-ups without EXCLUSIVE \
         ({:.2} per notification), {excl_wakeups} with ({:.2})",
        shared_wakeups as f64 / NOTIFICATIONS as f64,
        excl_wakeups as f64 / NOTIFICATIONS as f64
    );
    assert_eq!(
        (shared_handled, excl_handled),
        (NOTIFICATIONS, NOTIFICATIONS)
    );
    assert!(
        excl_wakeups >= NOTIFICATIONS,
        "every notification woke someone"
    );
    assert!(
        excl_wakeups < shared_wakeups,
        "EXCLUSIVE woke {excl_wakeups} times, without it {shared_wakeups}"
    );
}

#[test]
fn threads_sharing_one_epoll_with_oneshot_handle_each_event_once() {
    const SOURCES: usize = 8;
    const ROUNDS: u64 = 500;
    let epoll = Arc::new(Epoll::new().unwrap());
    let fds: Arc<Vec<EventFd>> = Arc::new((0..SOURCES).map(|_| EventFd::new().unwrap()).collect());
    let oneshot = Interest::READABLE | Interest::ONESHOT;
    for (i, fd) in fds.iter().enumerate() {
        epoll.add(fd, Token(i as u64), oneshot).unwrap();
    }
    let handled = Arc::new(AtomicU64::new(0));
    let busy: Arc<Vec<AtomicBool>> =
        Arc::new((0..SOURCES).map(|_| AtomicBool::new(false)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (epoll, fds, handled, busy, stop) = (
                Arc::clone(&epoll),
                Arc::clone(&fds),
                Arc::clone(&handled),
                Arc::clone(&busy),
                Arc::clone(&stop),
            );
            thread::spawn(move || {
                let mut events = Events::<4>::new();
                while !stop.load(Ordering::SeqCst) {
                    epoll.wait(&mut events, Timeout::from_millis(20)).unwrap();
                    for event in &events {
                        let i = event.token().0 as usize;
                        // ONESHOT: no other thread can be handling this fd.
                        assert!(
                            !busy[i].swap(true, Ordering::SeqCst),
                            "fd {i} handled twice at once"
                        );
                        handled.fetch_add(fds[i].drain().unwrap(), Ordering::SeqCst);
                        busy[i].store(false, Ordering::SeqCst);
                        epoll.modify(&fds[i], event.token(), oneshot).unwrap();
                    }
                }
            })
        })
        .collect();
    for round in 0..ROUNDS {
        fds[(round as usize) % SOURCES].notify().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while handled.load(Ordering::SeqCst) < ROUNDS {
        assert!(
            Instant::now() < deadline,
            "stuck at {} of {ROUNDS}",
            handled.load(Ordering::SeqCst)
        );
        thread::sleep(Duration::from_millis(1));
    }
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(handled.load(Ordering::SeqCst), ROUNDS);
}
