//! Running out of file descriptors: EMFILE is reported as that errno, and
//! the epoll (and everything registered in it) keeps working. One test in
//! this binary, since it lowers the process's RLIMIT_NOFILE.

use rawepoll::{Epoll, Errno, EventFd, Events, Interest, Timeout, Token};
use rustix::process::{getrlimit, setrlimit, Resource};

mod support {
    pub mod fds;
}
use fds::open_fds;
use support::fds;

#[test]
fn emfile_is_reported_and_the_epoll_stays_usable() {
    let epoll = Epoll::new().unwrap();
    let kept = EventFd::new().unwrap();
    epoll.add(&kept, Token(1), Interest::READABLE).unwrap();
    let before = open_fds();

    let original = getrlimit(Resource::Nofile);
    // New fds take the lowest free numbers, which must be below the limit:
    // set it just above the fourth free number, so exactly four more fit
    // (existing fds above it stay valid).
    const ROOM: usize = 4;
    let is_free = |n: u64| {
        // SAFETY: the number is only passed to fcntl(F_GETFD), which reads
        // nothing and answers EBADF if no fd has it.
        let fd = unsafe { rawepoll::BorrowedFd::borrow_raw(n as i32) };
        rustix::io::fcntl_getfd(fd) == Err(Errno::BADF)
    };
    let fourth_free = (0u64..).filter(|&n| is_free(n)).nth(ROOM - 1).unwrap();
    let mut low = original;
    low.current = Some(fourth_free + 1);
    setrlimit(Resource::Nofile, low).unwrap();

    let mut opened = Vec::new();
    let err = loop {
        match EventFd::new() {
            Ok(fd) => opened.push(fd),
            Err(e) => break e,
        }
        assert!(opened.len() <= ROOM, "the limit was not enforced");
    };
    assert_eq!(opened.len(), ROOM);
    assert_eq!(err, Errno::MFILE);
    assert_eq!(Epoll::new().err(), Some(Errno::MFILE));

    // Nothing lost: the epoll works, including for what was opened last.
    for (i, fd) in opened.iter().enumerate() {
        epoll
            .add(fd, Token(100 + i as u64), Interest::READABLE)
            .unwrap();
        fd.notify().unwrap();
    }
    kept.notify().unwrap();
    let mut events = Events::<128>::new();
    assert_eq!(
        epoll.wait(&mut events, Timeout::ZERO).unwrap(),
        opened.len() + 1
    );

    setrlimit(Resource::Nofile, original).unwrap();
    drop(opened);
    assert_eq!(open_fds(), before, "fds leaked");
    // With fds to spare again, creation works again.
    let again = Epoll::new().unwrap();
    again.close().unwrap();
}
