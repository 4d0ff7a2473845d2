//! Every u64 token comes back unchanged, on every architecture's layout.

use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};

const EXTREMES: [u64; 9] = [
    0,
    1,
    u32::MAX as u64,
    u32::MAX as u64 + 1,
    1 << 63,
    (1 << 63) - 1,
    u64::MAX,
    u64::MAX - 1,
    0x0123_4567_89ab_cdef,
];

#[test]
fn extreme_tokens_round_trip() {
    let epoll = Epoll::new().unwrap();
    let fds: Vec<EventFd> = EXTREMES.iter().map(|_| EventFd::new().unwrap()).collect();
    for (fd, &t) in fds.iter().zip(EXTREMES.iter()) {
        epoll.add(fd, Token(t), Interest::READABLE).unwrap();
        fd.notify().unwrap();
    }
    let mut events = Events::<16>::new();
    assert_eq!(
        epoll.wait(&mut events, Timeout::ZERO).unwrap(),
        EXTREMES.len()
    );
    let mut got: Vec<u64> = events.iter().map(|e| e.token().0).collect();
    got.sort_unstable();
    let mut want = EXTREMES.to_vec();
    want.sort_unstable();
    assert_eq!(got, want);
    // The raw view carries the same tokens.
    let mut raw: Vec<u64> = events.as_raw().iter().map(|r| r.token().0).collect();
    raw.sort_unstable();
    assert_eq!(raw, want);
}

#[test]
fn modify_replaces_the_token() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    epoll.add(&efd, Token(0), Interest::READABLE).unwrap();
    efd.notify().unwrap();
    let mut events = Events::<1>::new();
    for &t in &EXTREMES {
        epoll.modify(&efd, Token(t), Interest::READABLE).unwrap();
        assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
        assert_eq!(events.get(0).unwrap().token(), Token(t));
    }
}
