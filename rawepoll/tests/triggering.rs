//! Level-triggered, edge-triggered and one-shot delivery.

use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};
use rustix::io::{read, write};
use rustix::pipe::{pipe_with, PipeFlags};

fn pipe() -> (rustix::fd::OwnedFd, rustix::fd::OwnedFd) {
    pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK).unwrap()
}

#[test]
fn level_triggered_reports_on_every_wait_while_ready() {
    let epoll = Epoll::new().unwrap();
    let (r, w) = pipe();
    epoll.add(&r, Token(5), Interest::READABLE).unwrap();
    write(&w, b"abc").unwrap();
    let mut events = Events::<4>::new();
    for _ in 0..5 {
        assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
        let e = events.get(0).unwrap();
        assert_eq!(e.token(), Token(5));
        assert!(e.is_readable());
    }
    // A partial read leaves it ready.
    let mut buf = [0u8; 1];
    read(&r, &mut buf).unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    // Fully drained: no longer reported.
    let mut buf = [0u8; 8];
    assert_eq!(read(&r, &mut buf).unwrap(), 2);
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    assert!(events.is_empty());
}

#[test]
fn edge_triggered_reports_once_per_edge() {
    let epoll = Epoll::new().unwrap();
    let (r, w) = pipe();
    epoll
        .add(&r, Token(9), Interest::READABLE | Interest::EDGE)
        .unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);

    write(&w, b"one").unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    // Still readable, but no new edge: nothing.
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);

    // New data is a new edge, even without reading the old.
    write(&w, b"two").unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(events.get(0).unwrap().token(), Token(9));
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
}

#[test]
fn edge_triggered_eventfd_counts_edges() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    epoll
        .add(&efd, Token(1), Interest::READABLE | Interest::EDGE)
        .unwrap();
    let mut events = Events::<2>::new();
    let mut edges = 0;
    for _ in 0..10 {
        efd.notify().unwrap();
        edges += epoll.wait(&mut events, Timeout::ZERO).unwrap();
        assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    }
    assert_eq!(edges, 10);
    assert_eq!(efd.drain().unwrap(), 10);
}

#[test]
fn oneshot_fires_once_until_rearmed_by_modify() {
    let epoll = Epoll::new().unwrap();
    let (r, w) = pipe();
    let oneshot = Interest::READABLE | Interest::ONESHOT;
    epoll.add(&r, Token(1), oneshot).unwrap();
    write(&w, b"x").unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    // Disabled: still readable, but not reported, even with more data.
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    write(&w, b"y").unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);

    // Re-armed, with a new token: reported once more, with the new token.
    epoll.modify(&r, Token(2), oneshot).unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(events.get(0).unwrap().token(), Token(2));
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);

    // Re-armed as plain level-triggered: reported every time.
    epoll.modify(&r, Token(3), Interest::READABLE).unwrap();
    for _ in 0..3 {
        assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
        assert_eq!(events.get(0).unwrap().token(), Token(3));
    }
}

#[test]
fn modify_changes_what_is_watched() {
    let epoll = Epoll::new().unwrap();
    let (r, w) = pipe();
    epoll.add(&w, Token(1), Interest::WRITABLE).unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert!(events.get(0).unwrap().is_writable());
    epoll.modify(&w, Token(1), Interest::NONE).unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    // The registration still exists: delete succeeds once.
    epoll.delete(&w).unwrap();
    drop(r);
}

#[test]
fn delete_stops_reports() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    epoll.add(&efd, Token(1), Interest::READABLE).unwrap();
    efd.notify().unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    epoll.delete(&efd).unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    // Added again after deletion: reported again.
    epoll.add(&efd, Token(2), Interest::READABLE).unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(events.get(0).unwrap().token(), Token(2));
}
