//! The millisecond fallback for sub-millisecond timeouts, forced: what runs
//! where epoll_pwait2 answers ENOSYS. In its own test binary, since the
//! switch is process-wide.

use std::time::{Duration, Instant};

use rawepoll::epoll::{disable_epoll_pwait2, epoll_pwait2_available};
use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};

#[test]
fn forced_fallback_rounds_up_and_still_reports_events() {
    disable_epoll_pwait2();
    assert_eq!(epoll_pwait2_available(), Some(false));
    let epoll = Epoll::new().unwrap();
    let mut events = Events::<4>::new();
    let timeout = Timeout::from(Duration::from_micros(300));
    for _ in 0..5 {
        let t = Instant::now();
        assert_eq!(epoll.wait(&mut events, timeout).unwrap(), 0);
        // epoll_pwait with the timeout rounded up to 1 ms.
        assert!(t.elapsed() >= Duration::from_millis(1), "{:?}", t.elapsed());
    }
    let efd = EventFd::new().unwrap();
    epoll.add(&efd, Token(8), Interest::READABLE).unwrap();
    efd.notify().unwrap();
    assert_eq!(epoll.wait(&mut events, timeout).unwrap(), 1);
    assert_eq!(events.get(0).unwrap().token(), Token(8));
    // And it stays off.
    assert_eq!(epoll_pwait2_available(), Some(false));
}
