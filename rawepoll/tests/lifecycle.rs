//! Creation flags, ownership conversions, close, and interest that belongs
//! to the open file description rather than the fd number.

use rawepoll::{
    AsFd, AsRawFd, CreateFlags, Epoll, Errno, EventFd, Events, Interest, OwnedFd, Timeout, Token,
};
use rustix::io::{dup, fcntl_getfd, FdFlags};

#[test]
fn new_is_close_on_exec() {
    let epoll = Epoll::new().unwrap();
    assert!(fcntl_getfd(&epoll).unwrap().contains(FdFlags::CLOEXEC));
    let epoll = Epoll::with_flags(CreateFlags::CLOEXEC).unwrap();
    assert!(fcntl_getfd(&epoll).unwrap().contains(FdFlags::CLOEXEC));
}

#[test]
fn empty_flags_are_inherited_across_exec() {
    let epoll = Epoll::with_flags(CreateFlags::empty()).unwrap();
    assert!(!fcntl_getfd(&epoll).unwrap().contains(FdFlags::CLOEXEC));
}

#[test]
fn the_fd_is_an_epoll_instance() {
    let epoll = Epoll::new().unwrap();
    let link = std::fs::read_link(format!("/proc/self/fd/{}", epoll.as_raw_fd())).unwrap();
    assert_eq!(link.to_str().unwrap(), "anon_inode:[eventpoll]");
}

#[test]
fn owned_fd_round_trip() {
    let epoll = Epoll::new().unwrap();
    let raw = epoll.as_raw_fd();
    assert_eq!(epoll.as_fd().as_raw_fd(), raw);
    let owned: OwnedFd = epoll.into();
    assert_eq!(owned.as_raw_fd(), raw);
    let epoll = Epoll::from(owned);
    assert_eq!(epoll.as_raw_fd(), raw);
    let efd = EventFd::new().unwrap();
    epoll.add(&efd, Token(1), Interest::READABLE).unwrap();
    efd.notify().unwrap();
    let mut events = Events::<1>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(format!("{epoll:?}"), format!("Epoll {{ fd: {raw} }}"));
}

#[test]
fn close_reports_success_and_releases_the_fd() {
    let epoll = Epoll::new().unwrap();
    let dup_of_it = dup(&epoll).unwrap();
    assert_eq!(epoll.close(), Ok(()));
    // The instance lives on through the dup, which still works.
    let efd = EventFd::new().unwrap();
    let survivor = Epoll::from(dup_of_it);
    survivor.add(&efd, Token(1), Interest::READABLE).unwrap();
}

#[test]
fn a_dup_keeps_delivering_after_the_original_is_closed() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    let copy = dup(&efd).unwrap();
    epoll.add(&efd, Token(11), Interest::READABLE).unwrap();
    drop(efd);
    // The registration belongs to the open file description, which `copy`
    // keeps alive: events keep coming, with the old token.
    write_one(&copy);
    let mut events = Events::<2>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(events.get(0).unwrap().token(), Token(11));
    // And it cannot be deleted through the copy: it is registered under the
    // (closed) number, so the kernel does not find it.
    assert_eq!(epoll.delete(&copy), Err(Errno::NOENT));
    // Once every copy is closed, the registration goes away.
    drop(copy);
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
}

#[test]
fn delete_before_close_stops_events_even_with_a_dup() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    let copy = dup(&efd).unwrap();
    epoll.add(&efd, Token(12), Interest::READABLE).unwrap();
    epoll.delete(&efd).unwrap();
    drop(efd);
    write_one(&copy);
    let mut events = Events::<2>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
}

fn write_one(fd: impl rustix::fd::AsFd) {
    rustix::io::write(fd, &1u64.to_ne_bytes()).unwrap();
}

#[test]
fn value_types_are_copy_eq_hash_debug() {
    use std::collections::HashSet;
    fn check<T: Copy + Eq + std::hash::Hash + std::fmt::Debug>() {}
    check::<Token>();
    check::<Interest>();
    check::<CreateFlags>();
    check::<Timeout>();
    check::<rawepoll::Event>();
    let set: HashSet<Interest> = [Interest::READABLE, Interest::READABLE | Interest::EDGE]
        .into_iter()
        .collect();
    assert_eq!(set.len(), 2);
    assert_eq!(
        format!("{:?}", CreateFlags::CLOEXEC),
        "CreateFlags(CLOEXEC)"
    );
    assert_eq!(format!("{:?}", CreateFlags::empty()), "CreateFlags(empty)");
    assert_eq!(format!("{:?}", Interest::NONE), "Interest(empty)");
    assert_eq!(
        format!(
            "{:?}",
            Interest::from_bits_retain(Interest::ONESHOT.bits() | 0x0800_0000)
        ),
        "Interest(ONESHOT | 0x8000000)"
    );
}

#[test]
fn interest_set_operations() {
    let mut i = Interest::READABLE | Interest::WRITABLE;
    assert!(i.contains(Interest::READABLE));
    assert!(!i.contains(Interest::READABLE | Interest::EDGE));
    assert!(i.intersects(Interest::READABLE | Interest::EDGE));
    i -= Interest::WRITABLE;
    assert_eq!(i, Interest::READABLE);
    i |= Interest::EDGE;
    assert_eq!(i - Interest::EDGE, Interest::READABLE);
    i.remove(Interest::READABLE | Interest::EDGE);
    assert!(i.is_empty());
    i.insert(Interest::ONESHOT);
    assert_eq!(i.bits(), rustix::event::epoll::EventFlags::ONESHOT.bits());
    assert_eq!(Interest::default(), Interest::NONE);
}

#[test]
fn epoll_and_eventfd_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Epoll>();
    check::<EventFd>();
    check::<Events<4>>();
}
