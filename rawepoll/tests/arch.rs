//! Architecture-sensitive checks: a wrong `struct epoll_event` layout,
//! stride, padding or byte order would show here (s390x is big-endian;
//! x86_64 packs the struct; the rest pad it to 16 bytes).

use rawepoll::event::RAW_EVENT_LAYOUT;
use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};

/// Tokens whose eight bytes all differ, and differ between tokens.
const TOKENS: [u64; 4] = [
    0x0102_0304_0506_0708,
    0x8877_6655_4433_2211,
    0xf0e1_d2c3_b4a5_9687,
    0x1f2e_3d4c_5b6a_7980,
];

#[test]
fn tokens_with_distinct_bytes_round_trip_through_the_kernel() {
    let epoll = Epoll::new().unwrap();
    let fds: Vec<EventFd> = TOKENS.iter().map(|_| EventFd::new().unwrap()).collect();
    for (fd, &t) in fds.iter().zip(&TOKENS) {
        epoll
            .add(fd, Token(t), Interest::READABLE | Interest::EDGE)
            .unwrap();
    }
    let mut events = Events::<4>::new();
    for (fd, &t) in fds.iter().zip(&TOKENS) {
        fd.notify().unwrap();
        assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
        let raw = events.as_raw()[0];
        assert_eq!({ raw.data }, t, "data field");
        assert_eq!({ raw.events }, Interest::READABLE.bits(), "events field");
        assert_eq!(events.get(0).unwrap().token(), Token(t));
    }
}

#[test]
fn a_batch_of_many_events_reads_back_in_order() {
    const COUNT: usize = 64;
    let epoll = Epoll::new().unwrap();
    let fds: Vec<EventFd> = (0..COUNT).map(|_| EventFd::new().unwrap()).collect();
    let token = |i: usize| Token(0xa5a5_0000_0000_0000 | (i as u64) << 24 | (i as u64));
    for (i, fd) in fds.iter().enumerate() {
        epoll.add(fd, token(i), Interest::READABLE).unwrap();
    }
    // The kernel queues ready fds in the order they became ready.
    for fd in &fds {
        fd.notify().unwrap();
    }
    let mut events = Events::<COUNT>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), COUNT);
    for (i, event) in events.iter().enumerate() {
        assert_eq!(
            event.token(),
            token(i),
            "event {i}: a wrong stride shifts these"
        );
        assert_eq!(event.raw_flags(), Interest::READABLE.bits(), "event {i}");
    }
}

#[test]
fn print_the_layout_seen_at_run_time() {
    let (size, align, events, data) = RAW_EVENT_LAYOUT;
    assert_eq!(size, core::mem::size_of::<rawepoll::RawEvent>());
    println!(
        "layout: {} size={size} align={align} events@{events} data@{data}",
        std::env::consts::ARCH
    );
}
