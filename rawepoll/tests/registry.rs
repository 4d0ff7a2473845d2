//! Registry: stale events for removed sources are dropped and counted,
//! never delivered to the source that reused the slot or the fd number.

use rawepoll::registry::InsertError;
use rawepoll::{
    AsRawFd, Epoll, Errno, EventFd, Events, Interest, OwnedFd, Registry, Timeout, Token,
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

#[test]
fn registry_tokens_never_collide_with_small_hand_picked_ones() {
    let mut reg = Registry::<EventFd, 8>::new().unwrap();
    let mine = EventFd::new().unwrap();
    reg.epoll()
        .add(&mine, Token(0), Interest::READABLE)
        .unwrap();
    let mut tokens = Vec::new();
    for _ in 0..8 {
        let t = reg
            .insert(EventFd::new().unwrap(), Interest::READABLE)
            .unwrap();
        assert!(t.is_registry() && t.0 >= Token::REGISTRY_BIT, "{t:?}");
        tokens.push(t);
    }
    // Churn the generations: still in the registry's range.
    for round in 0..100 {
        let t = tokens[round % 8];
        let fd = reg.remove(t).unwrap();
        tokens[round % 8] = reg.insert(fd, Interest::READABLE).unwrap();
        assert!(tokens[round % 8].is_registry());
    }
    assert!(!reg.contains(Token(0)) && reg.get(Token(0)).is_none());
}

#[test]
fn try_dispatch_hands_foreign_tokens_through_and_stops_at_the_first_error() {
    let mut reg = Registry::<EventFd, 8>::new().unwrap();
    let mine = EventFd::new().unwrap();
    reg.epoll()
        .add(&mine, Token(5), Interest::READABLE)
        .unwrap();
    let a = reg
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .unwrap();
    let b = reg
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .unwrap();
    for t in [a, b] {
        reg.get(t).unwrap().notify().unwrap();
    }
    mine.notify().unwrap();
    let mut events = Events::<8>::new();
    assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 3);

    // Everything, foreign included, when nothing fails.
    let mut seen = Vec::new();
    let n = reg
        .try_dispatch(&events, |reg, token, _| {
            seen.push((token, reg.contains(token)));
            Ok::<_, Errno>(())
        })
        .unwrap();
    assert_eq!(n, 3);
    seen.sort();
    assert_eq!(seen, [(Token(5), false), (a, true), (b, true)]);

    // The first error ends the batch and comes back.
    let mut calls = 0;
    let err = reg
        .try_dispatch(&events, |_, _, _| {
            calls += 1;
            Err::<(), _>("stop")
        })
        .unwrap_err();
    assert_eq!((err, calls), ("stop", 1));

    // A removed source's event is dropped and counted, never handed on.
    let stale_before = reg.stale_events();
    drop(reg.remove(a));
    let n = reg
        .try_dispatch(&events, |_, token, _| {
            assert_ne!(token, a);
            Ok::<_, Errno>(())
        })
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(reg.stale_events(), stale_before + 1);
}

#[test]
fn insert_with_gives_the_source_its_token_and_a_full_registry_does_not_run_it() {
    struct Named(Token, EventFd);
    impl rawepoll::AsFd for Named {
        fn as_fd(&self) -> rawepoll::BorrowedFd<'_> {
            self.1.as_fd()
        }
    }
    let mut reg = Registry::<Named, 1>::new().unwrap();
    let t = reg
        .insert_with(|t| Named(t, EventFd::new().unwrap()), Interest::READABLE)
        .map_err(|e| e.errno())
        .unwrap();
    assert_eq!(reg.get(t).unwrap().0, t);
    let mut ran = false;
    match reg.insert_with(
        |t| {
            ran = true;
            Named(t, EventFd::new().unwrap())
        },
        Interest::READABLE,
    ) {
        Err(InsertError::Full(_make)) => {}
        other => panic!("{:?}", other.map(|_| ())),
    }
    assert!(!ran, "made a source it had no slot for");
}

#[cfg(feature = "std")]
#[test]
fn insert_errors_convert_into_io_errors() {
    fn fill() -> std::io::Result<()> {
        let mut reg = Registry::<EventFd, 1>::new()?;
        reg.insert(EventFd::new()?, Interest::READABLE)?;
        reg.insert(EventFd::new()?, Interest::READABLE)?;
        Ok(())
    }
    assert_eq!(
        fill().unwrap_err().raw_os_error(),
        Some(Errno::NOSPC.raw_os_error())
    );
}

#[test]
fn every_wait_flavour_is_passed_through() {
    let mut reg = Registry::<EventFd, 2>::new().unwrap();
    let t = reg
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .unwrap();
    reg.get(t).unwrap().notify().unwrap();
    let mut events = Events::<2>::new();
    let mask = rawepoll::sigset::signal_mask().unwrap();
    assert_eq!(reg.pwait(&mut events, Timeout::ZERO, &mask).unwrap(), 1);
    let deadline = rawepoll::Deadline::after(Timeout::from_millis(10));
    assert_eq!(reg.wait_deadline(&mut events, deadline).unwrap(), 1);
    assert_eq!(
        reg.wait_uninterrupted(&mut events, Timeout::ZERO).unwrap(),
        1
    );
    assert_eq!(events.get(0).unwrap().token(), t);
}

#[cfg(feature = "std")]
#[test]
fn a_registry_of_65536_is_built_on_the_heap_from_a_256_kib_stack() {
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let mut reg = Registry::<EventFd, 65536>::new_boxed().unwrap();
            assert!(std::mem::size_of_val(&*reg) > 512 << 10);
            let mut tokens = Vec::new();
            for _ in 0..1000 {
                tokens.push(
                    reg.insert(EventFd::new().unwrap(), Interest::READABLE)
                        .unwrap(),
                );
            }
            reg.get(tokens[999]).unwrap().notify().unwrap();
            let mut events = Events::<4>::new();
            assert_eq!(reg.wait(&mut events, Timeout::ZERO).unwrap(), 1);
            assert_eq!(
                reg.dispatch(&events, |_, t, _| assert_eq!(t, tokens[999])),
                1
            );
            assert_eq!(reg.iter().count(), 1000);
            for t in tokens {
                assert!(reg.remove(t).is_some());
            }
            assert!(reg.is_empty());
        })
        .unwrap()
        .join()
        .unwrap();
}

/// One rule for events under your own tokens in both registries'
/// `dispatch`: skipped, not counted as stale (a registry token whose
/// source is gone is). Registry::dispatch used to count them (1) where
/// SharedRegistry::dispatch did not (0).
#[test]
fn both_registries_skip_foreign_tokens_without_counting_them_stale() {
    use rawepoll::SharedRegistry;

    const MINE: Token = Token(7);
    let mut registry = Registry::<EventFd, 4>::new().unwrap();
    let shared = SharedRegistry::<EventFd, 4>::new();
    let (own, own_shared) = (EventFd::new().unwrap(), EventFd::new().unwrap());
    registry
        .epoll()
        .add(&own, MINE, Interest::READABLE)
        .unwrap();
    shared
        .epoll()
        .unwrap()
        .add(&own_shared, MINE, Interest::READABLE)
        .unwrap();
    own.notify().unwrap();
    own_shared.notify().unwrap();
    // And a registry token whose source is gone: stale in both.
    let gone = registry
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .map_err(|e| e.errno())
        .unwrap();
    let gone_shared = shared
        .insert(EventFd::new().unwrap(), Interest::READABLE)
        .map_err(|e| e.errno())
        .unwrap();
    registry.get(gone).unwrap().notify().unwrap();
    shared.lock(gone_shared).unwrap().notify().unwrap();

    let mut events = Events::<8>::new();
    registry.wait(&mut events, Timeout::ZERO).unwrap();
    assert_eq!(events.len(), 2);
    let fd = registry.remove(gone).unwrap(); // kept open: its event is in the batch
    let handled = registry.dispatch(&events, |_, _, _| panic!("nothing live to handle"));
    assert_eq!((handled, registry.stale_events()), (0, 1));
    drop(fd);

    shared.wait(&mut events, Timeout::ZERO).unwrap();
    assert_eq!(events.len(), 2);
    let fd = shared.remove(gone_shared).unwrap();
    let handled = shared.dispatch(&events, |_, _| panic!("nothing live to handle"));
    assert_eq!((handled, shared.stale_events()), (0, 1));
    drop(fd);
}
