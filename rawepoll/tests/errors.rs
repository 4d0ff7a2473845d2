//! Every errno epoll can return reaches the caller unchanged.

use rawepoll::{BorrowedFd, Epoll, Errno, EventFd, Events, Interest, OwnedFd, Timeout, Token};

/// A descriptor number far above any RLIMIT_NOFILE, so never open: the
/// kernel answers EBADF for it, whatever other tests open meanwhile.
fn never_open() -> BorrowedFd<'static> {
    // SAFETY: the number is never an open fd in this process (it exceeds the
    // hard limit of open files), so no other owner's fd is used or closed;
    // it is only passed to syscalls that answer EBADF.
    unsafe { BorrowedFd::borrow_raw(0x3fff_fff0) }
}

#[test]
fn ebadf_for_a_closed_or_invalid_fd() {
    let epoll = Epoll::new().unwrap();
    assert_eq!(
        epoll.add(never_open(), Token(0), Interest::READABLE),
        Err(Errno::BADF)
    );
    assert_eq!(
        epoll.modify(never_open(), Token(0), Interest::READABLE),
        Err(Errno::BADF)
    );
    assert_eq!(epoll.delete(never_open()), Err(Errno::BADF));
}

#[test]
fn eexist_when_added_twice() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    epoll.add(&efd, Token(1), Interest::READABLE).unwrap();
    assert_eq!(
        epoll.add(&efd, Token(2), Interest::READABLE),
        Err(Errno::EXIST)
    );
    // Nothing was lost: the first registration and token stand.
    efd.notify().unwrap();
    let mut events = Events::<2>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(events.get(0).unwrap().token(), Token(1));
}

#[test]
fn enoent_when_not_registered() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    assert_eq!(
        epoll.modify(&efd, Token(1), Interest::READABLE),
        Err(Errno::NOENT)
    );
    assert_eq!(epoll.delete(&efd), Err(Errno::NOENT));
    epoll.add(&efd, Token(1), Interest::READABLE).unwrap();
    epoll.delete(&efd).unwrap();
    assert_eq!(epoll.delete(&efd), Err(Errno::NOENT));
}

#[test]
fn einval_for_adding_an_epoll_to_itself() {
    let epoll = Epoll::new().unwrap();
    assert_eq!(
        epoll.add(&epoll, Token(0), Interest::READABLE),
        Err(Errno::INVAL)
    );
}

#[test]
fn einval_for_exclusive_with_modify() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    epoll.add(&efd, Token(1), Interest::READABLE).unwrap();
    assert_eq!(
        epoll.modify(&efd, Token(1), Interest::READABLE | Interest::EXCLUSIVE),
        Err(Errno::INVAL)
    );
    // A registration added with EXCLUSIVE cannot be modified at all.
    let other = EventFd::new().unwrap();
    epoll
        .add(&other, Token(2), Interest::READABLE | Interest::EXCLUSIVE)
        .unwrap();
    assert_eq!(
        epoll.modify(&other, Token(2), Interest::READABLE),
        Err(Errno::INVAL)
    );
}

#[test]
fn einval_for_exclusive_with_oneshot_or_on_an_epoll() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    assert_eq!(
        epoll.add(
            &efd,
            Token(1),
            Interest::READABLE | Interest::EXCLUSIVE | Interest::ONESHOT
        ),
        Err(Errno::INVAL)
    );
    let inner = Epoll::new().unwrap();
    assert_eq!(
        epoll.add(&inner, Token(1), Interest::READABLE | Interest::EXCLUSIVE),
        Err(Errno::INVAL)
    );
}

#[test]
fn einval_when_the_fd_is_not_an_epoll() {
    let not_epoll = Epoll::from(OwnedFd::from(EventFd::new().unwrap()));
    let efd = EventFd::new().unwrap();
    assert_eq!(
        not_epoll.add(&efd, Token(0), Interest::READABLE),
        Err(Errno::INVAL)
    );
    let mut events = Events::<4>::new();
    assert_eq!(
        not_epoll.wait(&mut events, Timeout::ZERO),
        Err(Errno::INVAL)
    );
    assert!(events.is_empty());
}

#[test]
fn eloop_for_epolls_nested_in_a_cycle() {
    let a = Epoll::new().unwrap();
    let b = Epoll::new().unwrap();
    a.add(&b, Token(1), Interest::READABLE).unwrap();
    assert_eq!(b.add(&a, Token(2), Interest::READABLE), Err(Errno::LOOP));
    // Both are still usable.
    let mut events = Events::<2>::new();
    assert_eq!(a.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    assert_eq!(b.wait(&mut events, Timeout::ZERO).unwrap(), 0);
}

#[test]
fn eloop_for_nesting_too_deep() {
    // The kernel allows at most EP_MAX_NESTS (4) levels below the top.
    let chain: Vec<Epoll> = (0..7).map(|_| Epoll::new().unwrap()).collect();
    let mut first_error = None;
    for i in 0..chain.len() - 1 {
        if let Err(e) = chain[i].add(&chain[i + 1], Token(i as u64), Interest::READABLE) {
            first_error = Some((i, e));
            break;
        }
    }
    let (depth, errno) = first_error.expect("nesting 7 epolls deep must fail");
    assert_eq!(errno, Errno::LOOP);
    assert!(depth >= 4, "failed too early, at depth {depth}");
}

#[test]
fn eperm_for_a_regular_file() {
    let file = std::fs::File::open("Cargo.toml").unwrap();
    let epoll = Epoll::new().unwrap();
    assert_eq!(
        epoll.add(&file, Token(0), Interest::READABLE),
        Err(Errno::PERM)
    );
    let dir = std::fs::File::open("src").unwrap();
    assert_eq!(
        epoll.add(&dir, Token(0), Interest::READABLE),
        Err(Errno::PERM)
    );
}

#[test]
fn errors_leave_the_epoll_usable() {
    let epoll = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    let _ = epoll.add(never_open(), Token(0), Interest::READABLE);
    let _ = epoll.delete(&efd);
    let _ = epoll.add(&epoll, Token(0), Interest::READABLE);
    epoll.add(&efd, Token(3), Interest::READABLE).unwrap();
    efd.notify().unwrap();
    let mut events = Events::<4>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(events.get(0).unwrap().token(), Token(3));
}

#[test]
fn errno_converts_into_io_error() {
    fn f() -> std::io::Result<()> {
        let epoll = Epoll::new()?;
        epoll.delete(never_open())?;
        Ok(())
    }
    let err = f().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(Errno::BADF.raw_os_error()));
    let _: &dyn std::error::Error = &Errno::BADF;
}
