//! Zero heap allocations in steady state: a counting global allocator
//! watches the test thread while it creates, registers, waits and deletes.

use std::time::Duration;

use rawepoll::{
    block_signals, set_signal_mask, Deadline, Epoll, EventFd, Events, Interest, Registry, SigSet,
    Signal, SignalFd, Timeout, TimerFd, TimerSet, Token,
};

mod support {
    pub mod counting;
}
use support::counting;

use counting::allocations_during;

#[test]
fn the_counter_sees_allocations() {
    // Proves the harness itself works: a Box is counted.
    let n = allocations_during(|| {
        let b = Box::new(5u64);
        std::hint::black_box(&b);
    });
    assert_eq!(n, 1);
}

#[test]
fn zero_allocations_in_steady_state() {
    let mut total_events = 0;
    let n = allocations_during(|| {
        let epoll = Epoll::new().unwrap();
        let fds = [
            EventFd::new().unwrap(),
            EventFd::new().unwrap(),
            EventFd::new().unwrap(),
        ];
        for (i, fd) in fds.iter().enumerate() {
            epoll
                .add(fd, Token(i as u64), Interest::READABLE | Interest::EDGE)
                .unwrap();
        }
        let mut events = Events::<2>::new();
        for round in 0..1000u64 {
            fds[(round % 3) as usize].notify().unwrap();
            total_events += epoll.wait(&mut events, Timeout::ZERO).unwrap();
            for event in &events {
                fds[event.token().0 as usize].drain().unwrap();
            }
            let fd = &fds[(round % 3) as usize];
            epoll
                .modify(fd, Token(round % 3), Interest::READABLE | Interest::EDGE)
                .unwrap();
            // Errors allocate nothing either.
            assert!(epoll.add(fd, Token(0), Interest::READABLE).is_err());
        }
        for fd in &fds {
            epoll.delete(fd).unwrap();
        }
        epoll.close().unwrap();
    });
    assert_eq!(n, 0, "rawepoll allocated {n} times");
    assert_eq!(total_events, 1000);
}

#[test]
fn zero_allocations_in_the_event_sources_and_wait_variants() {
    // Warm-up: rustix finds the vDSO for clock_gettime once, on first use.
    // Where the kernel (or qemu-user) has no PR_GET_AUXV it reads
    // /proc/self/auxv into a Vec, but only when its `alloc` feature is on
    // (here, through `std` in the dev-dependencies); a no_std build cannot
    // allocate at all. Steady state is what this test measures.
    let _ = Deadline::after(Timeout::ZERO);
    let n = allocations_during(|| {
        let epoll = Epoll::new().unwrap();
        let timer = TimerFd::new().unwrap();
        epoll.add(&timer, Token(1), Interest::READABLE).unwrap();
        // SIGURG is ignored by default: blocking it and making a signalfd
        // for it is harmless to the rest of the test binary.
        let set = SigSet::empty().with(Signal::URG);
        let old = block_signals(&set).unwrap();
        let sfd = SignalFd::new(&set).unwrap();
        epoll.add(&sfd, Token(2), Interest::READABLE).unwrap();
        let mut events = Events::<4>::new();
        for _ in 0..50 {
            timer.set_after(Duration::from_micros(200)).unwrap();
            // Sub-millisecond: the epoll_pwait2 path (or its fallback).
            let got = epoll
                .wait_deadline(
                    &mut events,
                    Deadline::after(Timeout::from(Duration::from_millis(50))),
                )
                .unwrap();
            assert_eq!(got, 1);
            assert_eq!(timer.read_expirations().unwrap(), 1);
            assert_eq!(epoll.pwait(&mut events, Timeout::ZERO, &old).unwrap(), 0);
            assert_eq!(
                epoll
                    .wait_uninterrupted(&mut events, Timeout::from(Duration::from_micros(10)))
                    .unwrap(),
                0
            );
            assert_eq!(sfd.read().unwrap(), None);
        }
        timer.set_periodic(Duration::from_millis(1)).unwrap();
        timer.disarm().unwrap();
        set_signal_mask(&old).unwrap();
    });
    assert_eq!(n, 0, "rawepoll allocated {n} times");
}

#[test]
fn zero_allocations_in_the_registry() {
    let mut stale_seen = 0;
    let n = allocations_during(|| {
        let mut reg = Registry::<EventFd, 8>::new().unwrap();
        let mut events = Events::<8>::new();
        for round in 0..200 {
            let a = reg
                .insert(EventFd::new().unwrap(), Interest::READABLE)
                .unwrap();
            let b = reg
                .insert(EventFd::new().unwrap(), Interest::READABLE)
                .unwrap();
            reg.get(a).unwrap().notify().unwrap();
            reg.get(b).unwrap().notify().unwrap();
            reg.wait(&mut events, Timeout::ZERO).unwrap();
            reg.dispatch(&events, |reg, token, _| {
                let other = if token == a { b } else { a };
                drop(reg.remove(other));
                drop(reg.remove(token));
            });
            assert!(reg.is_empty(), "round {round}");
        }
        stale_seen = reg.stale_events();
    });
    assert_eq!(n, 0, "the registry allocated {n} times");
    assert_eq!(stale_seen, 200);
}

#[test]
fn zero_allocations_in_the_timer_set() {
    let mut fired = 0;
    let n = allocations_during(|| {
        let epoll = Epoll::new().unwrap();
        let timer = TimerFd::new().unwrap();
        let mut events = Events::<4>::new();
        let mut set = TimerSet::<u32, 256>::new();
        let mut handles = [None; 256];
        for round in 0..20u32 {
            for (k, h) in handles.iter_mut().enumerate() {
                *h = Some(
                    set.insert_after(Duration::from_micros(k as u64), k as u32)
                        .unwrap(),
                );
            }
            assert!(set.insert_after(Duration::ZERO, 0).is_err(), "full");
            for h in handles.iter().flatten().step_by(2) {
                assert!(set.reset_after(*h, Duration::from_micros(300)));
            }
            for h in handles.iter().flatten().step_by(3) {
                let _ = set.cancel(*h);
            }
            set.arm(&timer).unwrap();
            while !set.is_empty() {
                epoll.wait(&mut events, set.timeout()).unwrap();
                fired += set.expired().count();
            }
            assert!(set.cancel(handles[0].unwrap()).is_none(), "round {round}");
        }
        timer.disarm().unwrap();
    });
    assert_eq!(n, 0, "the timer set allocated {n} times");
    // 256 timers a round, every third cancelled (86), the rest fired.
    assert_eq!(fired, 20 * (256 - 86));
}
