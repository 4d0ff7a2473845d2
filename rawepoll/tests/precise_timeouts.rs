//! Nanosecond timeouts: epoll_pwait2 where the kernel has it (a 300 us
//! timeout waits at least 300 us and well under 1 ms), the millisecond
//! fallback where it answers ENOSYS (qemu-user, old kernels).

use std::time::{Duration, Instant};

use rawepoll::epoll::epoll_pwait2_available;
use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};

fn median_wait(epoll: &Epoll, timeout: Timeout) -> Duration {
    let mut events = Events::<4>::new();
    let mut samples: Vec<Duration> = (0..21)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(epoll.wait(&mut events, timeout).unwrap(), 0);
            let elapsed = t.elapsed();
            assert!(
                elapsed >= timeout.as_duration().unwrap(),
                "woke early: {elapsed:?}"
            );
            elapsed
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

#[test]
fn a_300_microsecond_timeout() {
    let epoll = Epoll::new().unwrap();
    let timeout = Timeout::from(Duration::from_micros(300));
    let median = median_wait(&epoll, timeout);
    let precise = epoll_pwait2_available();
    println!("300 us timeout: median wait {median:?}, epoll_pwait2 available: {precise:?}");
    match precise {
        // Exact: at least 300 us (checked per wait), far from a whole ms.
        Some(true) => assert!(median < Duration::from_micros(900), "{median:?}"),
        // Rounded up to the next millisecond.
        Some(false) => assert!(median >= Duration::from_millis(1), "{median:?}"),
        None => panic!("a sub-millisecond wait must have probed epoll_pwait2"),
    }
}

#[test]
fn precise_waits_still_report_events() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    epoll.add(&efd, Token(3), Interest::READABLE).unwrap();
    efd.notify().unwrap();
    let mut events = Events::<4>::new();
    let timeout = Timeout::from(Duration::from_micros(250));
    assert_eq!(epoll.wait(&mut events, timeout).unwrap(), 1);
    assert_eq!(events.get(0).unwrap().token(), Token(3));
    // A full buffer is emptied first on this path too.
    assert_eq!(epoll.wait(&mut events, timeout).unwrap(), 1);
}
