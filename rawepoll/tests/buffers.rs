//! Events<N> buffers: small buffers rotate through many ready fds, a full
//! buffer is emptied before each wait, capacity 1 and large capacities work.

use std::collections::HashMap;

use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};

fn ready_set(count: usize) -> (Epoll, Vec<EventFd>) {
    let epoll = Epoll::new().unwrap();
    let fds: Vec<EventFd> = (0..count).map(|_| EventFd::new().unwrap()).collect();
    for (i, fd) in fds.iter().enumerate() {
        epoll.add(fd, Token(i as u64), Interest::READABLE).unwrap();
        fd.notify().unwrap();
    }
    (epoll, fds)
}

fn rotates<const N: usize>(count: usize) {
    let (epoll, _fds) = ready_set(count);
    let mut events = Events::<N>::new();
    let mut order: Vec<u64> = Vec::new();
    let rounds = count.div_ceil(N);
    for _ in 0..rounds {
        let n = epoll.wait(&mut events, Timeout::ZERO).unwrap();
        assert_eq!(n, N.min(count));
        assert_eq!(events.len(), n);
        order.extend(events.iter().map(|e| e.token().0));
    }
    // Level-triggered fds are handed out round-robin: the first `count`
    // reports name every ready fd exactly once (the last wait may wrap
    // around to the start).
    let mut seen: HashMap<u64, usize> = HashMap::new();
    for t in &order[..count] {
        *seen.entry(*t).or_default() += 1;
    }
    assert_eq!(
        seen.len(),
        count,
        "buffer of {N} over {count} fds: {order:?}"
    );
}

#[test]
fn capacity_one_rotates_through_all() {
    rotates::<1>(10);
}

#[test]
fn capacity_three_rotates_through_all() {
    rotates::<3>(10);
}

#[test]
fn capacity_seven_rotates_through_many() {
    rotates::<7>(100);
}

#[test]
fn large_capacity_gets_all_at_once() {
    let (epoll, _fds) = ready_set(300);
    let mut events = Box::new(Events::<4096>::new());
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 300);
    assert_eq!(events.capacity(), 4096);
}

#[test]
fn a_full_buffer_is_emptied_before_the_next_wait() {
    let (epoll, fds) = ready_set(4);
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 4);
    assert_eq!(events.len(), events.capacity());
    // Full buffer: a naive wrapper would hand the kernel 0 slots (EINVAL).
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 4);
    for fd in &fds {
        fd.drain().unwrap();
    }
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    assert!(events.is_empty());
}

#[test]
fn clear_get_iter_and_debug() {
    let (epoll, _fds) = ready_set(2);
    let mut events = Events::<8>::default();
    epoll.wait(&mut events, Timeout::ZERO).unwrap();
    assert_eq!(events.iter().len(), 2);
    assert_eq!(events.iter().rev().count(), 2);
    assert!(events.get(1).is_some());
    assert!(events.get(2).is_none());
    let text = format!("{events:?}");
    assert!(text.contains("capacity: 8"), "{text}");
    assert!(text.contains("IN"), "{text}");
    events.clear();
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
}

static mut STATIC_EVENTS: Events<16> = Events::new();

#[test]
fn events_can_live_in_a_static() {
    let (epoll, _fds) = ready_set(3);
    // SAFETY: only this test touches the static.
    #[allow(static_mut_refs)]
    let events = unsafe { &mut STATIC_EVENTS };
    assert_eq!(epoll.wait(events, Timeout::ZERO).unwrap(), 3);
}

/// `wait_slice`: a buffer sized at run time gets every ready fd, a shorter
/// one gets as many as it holds (the rest on the next call), the records
/// past the count are left as they were, and an empty slice is `EINVAL`.
#[test]
fn slice_sized_at_run_time() {
    use std::mem::MaybeUninit;

    use rawepoll::{Errno, RawEvent};

    let (epoll, _fds) = ready_set(300);
    let sentinel = RawEvent::new(0xdead, Token(u64::MAX));

    let capacity = std::hint::black_box(1024);
    let mut buf = vec![MaybeUninit::new(sentinel); capacity];
    let ready = epoll.wait_slice(&mut buf, Timeout::ZERO).unwrap();
    let mut tokens: Vec<u64> = ready.iter().map(|r| r.token().0).collect();
    tokens.sort_unstable();
    assert_eq!(tokens, (0..300).collect::<Vec<_>>());
    for slot in &buf[300..] {
        // SAFETY: every slot was initialized with the sentinel.
        let raw = unsafe { slot.assume_init() };
        assert_eq!((raw.events(), raw.token()), (0xdead, Token(u64::MAX)));
    }

    // A Vec's spare capacity, shorter than the ready count: rotates.
    let mut small: Vec<RawEvent> = Vec::with_capacity(7);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..300usize.div_ceil(7) {
        let ready = epoll
            .wait_slice(small.spare_capacity_mut(), Timeout::ZERO)
            .unwrap();
        assert_eq!(ready.len(), 7);
        seen.extend(ready.iter().map(|r| r.event().token().0));
    }
    assert_eq!(
        seen.len(),
        300,
        "every fd reported once the rounds are done"
    );

    assert_eq!(
        epoll.wait_slice(&mut [], Timeout::ZERO).err(),
        Some(Errno::INVAL)
    );
    // An Events buffer and a slice see the same events.
    let mut events = Events::<512>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO), Ok(300));
}

/// An error leaves an `Events` buffer empty, and a slice wait reports it.
#[test]
fn errors_leave_the_buffer_empty() {
    use rawepoll::{Errno, OwnedFd, RawEvent};

    let (epoll, _fds) = ready_set(3);
    let mut events = Events::<8>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO), Ok(3));
    // An eventfd is not an epoll instance: the kernel answers EINVAL.
    let not_epoll = Epoll::from(OwnedFd::from(EventFd::new().unwrap()));
    assert_eq!(
        not_epoll.wait(&mut events, Timeout::ZERO),
        Err(Errno::INVAL)
    );
    assert!(events.is_empty());
    let mut small: Vec<RawEvent> = Vec::with_capacity(4);
    assert_eq!(
        not_epoll
            .wait_slice(small.spare_capacity_mut(), Timeout::ZERO)
            .err(),
        Some(Errno::INVAL)
    );
}
