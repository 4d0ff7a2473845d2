//! Timeouts: rounding up (no spin), NEVER blocks until another thread wakes
//! it, conversions and clamping.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};

#[test]
fn sub_millisecond_timeout_does_not_spin() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::<4>::new();
    let timeout = Timeout::from(Duration::from_micros(100));
    // epoll_wait's millisecond value is rounded up, never down to 0.
    assert_eq!(timeout.as_millis(), 1);
    let start = Instant::now();
    let mut waits = 0;
    while start.elapsed() < Duration::from_millis(50) {
        let t = Instant::now();
        assert_eq!(epoll.wait(&mut events, timeout).unwrap(), 0);
        // Exact (epoll_pwait2) or rounded up to 1 ms (epoll_pwait): either
        // way it blocked for at least the 100 us asked for.
        assert!(
            t.elapsed() >= Duration::from_micros(100),
            "{:?}",
            t.elapsed()
        );
        waits += 1;
    }
    // A spinning wrapper would make thousands of calls in 50 ms.
    assert!(waits <= 510, "{waits} waits in 50 ms: the timeout spun");
}

#[test]
fn one_nanosecond_is_not_zero() {
    let t = Timeout::from(Duration::from_nanos(1));
    assert_ne!(t, Timeout::ZERO);
    assert_eq!(t.as_millis(), 1);
    assert_eq!(t.as_duration(), Some(Duration::from_nanos(1)));
    let epoll = Epoll::new().unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, t).unwrap(), 0);
}

#[test]
fn millisecond_timeout_waits_at_least_that_long() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::<4>::new();
    let start = Instant::now();
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(30)).unwrap(),
        0
    );
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn zero_does_not_block() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::<4>::new();
    let start = Instant::now();
    for _ in 0..100 {
        assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    }
    // 100 non-blocking waits; generous bound for slow emulators.
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn never_blocks_until_another_thread_notifies() {
    let epoll = Epoll::new().unwrap();
    let efd = Arc::new(EventFd::new().unwrap());
    epoll.add(&*efd, Token(77), Interest::READABLE).unwrap();
    let remote = Arc::clone(&efd);
    let delay = Duration::from_millis(100);
    let start = Instant::now();
    let waker = thread::spawn(move || {
        thread::sleep(delay);
        remote.notify().unwrap();
    });
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::NEVER).unwrap(), 1);
    assert!(start.elapsed() >= delay);
    assert_eq!(events.get(0).unwrap().token(), Token(77));
    waker.join().unwrap();
}

#[test]
fn conversions() {
    assert_eq!(Timeout::NEVER.as_millis(), -1);
    assert!(Timeout::NEVER.is_never());
    assert_eq!(Timeout::NEVER.as_duration(), None);
    assert_eq!(Timeout::ZERO.as_millis(), 0);
    assert_eq!(Timeout::from(Duration::ZERO), Timeout::ZERO);
    assert_eq!(Timeout::from_millis(0), Timeout::ZERO);
    assert_eq!(Timeout::from_millis(1500).as_millis(), 1500);
    assert_eq!(
        Timeout::from_millis(1500).as_duration(),
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        Timeout::from(Duration::from_millis(7)),
        Timeout::from_millis(7)
    );
    // Rounds up, keeps the exact duration.
    let t = Timeout::from(Duration::from_micros(1500));
    assert_eq!(t.as_millis(), 2);
    assert_eq!(t.as_duration(), Some(Duration::from_micros(1500)));
    assert_eq!(Timeout::from(Duration::new(1, 1)).as_millis(), 1001);
    assert_eq!(Timeout::from(None), Timeout::NEVER);
    assert_eq!(
        Timeout::from(Some(Duration::from_millis(3))),
        Timeout::from_millis(3)
    );
    assert_eq!(Timeout::default(), Timeout::NEVER);
}

#[test]
fn huge_values_clamp_instead_of_overflowing() {
    assert_eq!(Timeout::MAX.as_millis(), i32::MAX);
    assert_eq!(Timeout::from(Duration::MAX), Timeout::MAX);
    assert_eq!(
        Timeout::from(Duration::from_secs(u64::MAX)).as_millis(),
        i32::MAX
    );
    assert_eq!(Timeout::from_millis(u32::MAX), Timeout::MAX);
    assert_eq!(Timeout::from_millis(i32::MAX as u32), Timeout::MAX);
    assert_eq!(
        Timeout::from_millis(i32::MAX as u32 - 1).as_millis(),
        i32::MAX - 1
    );
    // Just above the max by a nanosecond: clamped, not rounded past i32::MAX.
    let just_over = Duration::from_millis(i32::MAX as u64) + Duration::from_nanos(1);
    assert_eq!(Timeout::from(just_over), Timeout::MAX);
    let just_under = Duration::from_millis(i32::MAX as u64 - 1) + Duration::from_nanos(1);
    assert_eq!(Timeout::from(just_under).as_millis(), i32::MAX);
    // Such a timeout is accepted by the kernel (and returns at once with a
    // ready fd).
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    epoll.add(&efd, Token(1), Interest::READABLE).unwrap();
    efd.notify().unwrap();
    let mut events = Events::<1>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::MAX).unwrap(), 1);
}

#[test]
fn debug_and_hash() {
    use std::collections::HashSet;
    assert_eq!(format!("{:?}", Timeout::NEVER), "Timeout::NEVER");
    assert_eq!(format!("{:?}", Timeout::from_millis(5)), "Timeout(5ms)");
    let set: HashSet<Timeout> = [Timeout::ZERO, Timeout::NEVER, Timeout::ZERO]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 2);
}
