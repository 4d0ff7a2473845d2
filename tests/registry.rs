//! Registry: stale events for removed sources are dropped and counted,
//! never delivered to the source that reused the slot or the fd number.

use rawepoll::{
    AsRawFd, Epoll, Errno, EventFd, Events, InsertError, Interest, OwnedFd, Registry, Timeout,
    Token,
};
use rustix::io::{dup, fcntl_getfd, write};
use rustix::pipe::{pipe_with, PipeFlags};

#[test]
fn stale_event_after_delete_close_and_fd_reuse_in_one_batch() {
    let mut reg = Registry::<EventFd, 8>::new().unwrap();
    let a = reg
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .unwrap();
    let b = reg
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .unwrap();
    reg.get(a).unwrap().notify().unwrap();
    reg.get(b).unwrap().notify().unwrap();

    let mut events = Events::<8>::new();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 2);
    let mut calls: Vec<Token> = Vec::new();
    let mut replacement = None;
    reg.dispatch(&events, |reg, token, _| {
        calls.push(token);
        if replacement.is_none() {
            // Handling the first event, remove and close the other source,
            // then open a new one: the kernel hands out the lowest free fd
            // number (the same one, unless a test running in parallel took
            // it first) and the registry the same slot.
            let other = if token == a { b } else { a };
            let old = reg.remove(other).unwrap();
            let old_fd = old.as_raw_fd();
            drop(old);
            let new = EventFd::new().unwrap();
            println!("fd number reused: {}", new.as_raw_fd() == old_fd);
            new.notify().unwrap();
            let c = reg.insert(new, Interest::READABLE).unwrap();
            assert_eq!(c.0 & 0xffff_ffff, other.0 & 0xffff_ffff, "slot reused");
            assert_ne!(c, other, "with a new generation");
            replacement = Some(c);
        }
    });
    // The removed source's event, still in the batch, was dropped: the
    // replacement was not called with it.
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(reg.stale_events(), 1);
    let c = replacement.unwrap();
    assert!(!calls.contains(&c));
    // The replacement's own event comes with its own token.
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 2);
    let mut seen = Vec::new();
    reg.dispatch(&events, |_, token, _| seen.push(token));
    assert!(seen.contains(&c));
    assert_eq!(reg.stale_events(), 1);
}

#[test]
fn a_dup_cannot_revive_a_removed_registration() {
    let (r, w) = pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK).unwrap();
    let copy = dup(&r).unwrap();

    // The bug with a bare epoll: close without delete, and the dup keeps
    // the registration alive; events keep coming with the old token.
    let bare = Epoll::new().unwrap();
    let r2 = dup(&r).unwrap();
    bare.add(&r2, Token(7), Interest::READABLE).unwrap();
    drop(r2);

    let mut reg = Registry::<OwnedFd, 4>::new().unwrap();
    let t = reg.insert(r, Interest::READABLE).unwrap();
    drop(reg.remove(t).unwrap()); // deleted first, then closed

    write(&w, b"data for a file that is still open through `copy`").unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(
        bare.wait(&mut events, Timeout::ZERO).unwrap(),
        1,
        "the bug, shown"
    );
    assert_eq!(events.get(0).unwrap().token(), Token(7));
    assert_eq!(
        reg.wait(&mut events, Timeout::ZERO).unwrap(),
        0,
        "no stale registration"
    );
    drop(copy);
}

#[test]
fn stale_event_from_an_earlier_batch() {
    let mut reg = Registry::<EventFd, 2>::new().unwrap();
    let a = reg
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .unwrap();
    reg.get(a).unwrap().notify().unwrap();
    let mut events = Events::<2>::new();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    // Remove `a` and put a ready source in its slot before dispatching the
    // batch that still holds a's event.
    drop(reg.remove(a));
    let fresh = EventFd::new().unwrap();
    fresh.notify().unwrap();
    let b = reg.insert(fresh, Interest::READABLE).unwrap();
    let mut calls = 0;
    assert_eq!(reg.dispatch(&events, |_, _, _| calls += 1), 0);
    assert_eq!((calls, reg.stale_events()), (0, 1));
    assert!(reg.contains(b) && !reg.contains(a));
}

#[test]
fn a_full_registry_refuses_and_hands_the_source_back() {
    let mut reg = Registry::<EventFd, 3>::new().unwrap();
    let tokens: Vec<Token> = (0..3)
        .map(|_| {
            reg.insert(EventFd::new().unwrap(), Interest::READABLE)
                .unwrap()
        })
        .collect();
    assert_eq!(reg.len(), reg.capacity());
    let extra = EventFd::new().unwrap();
    let raw = extra.as_raw_fd();
    let err = reg.insert(extra, Interest::READABLE).unwrap_err();
    assert!(matches!(err, InsertError::Full(_)), "{err:?}");
    assert_eq!(err.errno(), Errno::NOSPC);
    let back = err.into_source();
    assert_eq!(back.as_raw_fd(), raw);
    assert!(fcntl_getfd(&back).is_ok(), "still open: nothing lost");
    // Freeing one slot makes room.
    drop(reg.remove(tokens[1]).unwrap());
    let t = reg.insert(back, Interest::READABLE).unwrap();
    assert!(reg.contains(t));
    assert_eq!(reg.len(), 3);
}

#[test]
fn an_epoll_error_hands_the_source_back_and_changes_nothing() {
    let mut reg = Registry::<std::fs::File, 2>::new().unwrap();
    let file = std::fs::File::open("Cargo.toml").unwrap();
    let err = reg.insert(file, Interest::READABLE).unwrap_err();
    assert_eq!(err.errno(), Errno::PERM);
    assert!(matches!(err, InsertError::Errno(Errno::PERM, _)));
    assert_eq!(reg.len(), 0);
    assert_eq!(
        format!("{err}"),
        format!("epoll_ctl(ADD) failed: {}", Errno::PERM)
    );
    drop(err.into_source());
}

#[test]
fn oneshot_rearmed_through_modify() {
    let mut reg = Registry::<EventFd, 2>::new().unwrap();
    let oneshot = Interest::READABLE | Interest::ONESHOT;
    let t = reg.insert(EventFd::new().unwrap(), oneshot).unwrap();
    reg.get(t).unwrap().notify().unwrap();
    let mut events = Events::<2>::new();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 0, "disarmed");
    reg.modify(t, oneshot).unwrap();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 1, "re-armed");
    assert_eq!(events.get(0).unwrap().token(), t);
    // A stale token cannot re-arm anything.
    drop(reg.remove(t));
    assert_eq!(reg.modify(t, oneshot), Err(Errno::NOENT));
}

#[test]
fn stale_and_foreign_tokens_find_nothing() {
    let mut reg = Registry::<EventFd, 4>::new().unwrap();
    for t in [Token(0), Token(u64::MAX), Token(3), Token(1 << 32)] {
        assert!(reg.get(t).is_none() && reg.get_mut(t).is_none() && !reg.contains(t));
        assert!(reg.remove(t).is_none());
    }
    let t = reg
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .unwrap();
    assert!(reg.get_mut(t).is_some());
    assert!(reg.remove(t).is_some());
    assert!(reg.remove(t).is_none(), "removed once only");
}

#[test]
fn iteration_and_len() {
    let mut reg = Registry::<EventFd, 4>::new().unwrap();
    assert!(reg.is_empty());
    let ts: Vec<Token> = (0..4)
        .map(|_| {
            reg.insert(EventFd::new().unwrap(), Interest::READABLE)
                .unwrap()
        })
        .collect();
    drop(reg.remove(ts[2]));
    let listed: Vec<Token> = reg.iter().map(|(t, _)| t).collect();
    assert_eq!(listed, [ts[0], ts[1], ts[3]]);
    for (_, source) in reg.iter_mut() {
        source.notify().unwrap();
    }
    let mut events = Events::<8>::new();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 3);
    assert_eq!(reg.len(), 3);
    assert!(format!("{reg:?}").contains("len: 3"));
}
