//! No file descriptor leaks: 1000 epolls created and dropped or closed leave
//! the process's fd table as it was. One test in this file, so no other test
//! opens fds meanwhile.

use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};

mod support {
    pub mod fds;
}
use fds::open_fds;
use support::fds;

#[test]
fn no_fd_leak_across_1000_create_drop_close() {
    let before = open_fds();
    for i in 0..1000u64 {
        let epoll = Epoll::new().unwrap();
        let efd = EventFd::new().unwrap();
        epoll.add(&efd, Token(i), Interest::READABLE).unwrap();
        efd.notify().unwrap();
        let mut events = Events::<2>::new();
        assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
        // Errors along the way must not leak either.
        assert!(epoll.add(&efd, Token(i), Interest::READABLE).is_err());
        if i % 2 == 0 {
            epoll.close().unwrap();
        } else {
            drop(epoll);
        }
    }
    assert_eq!(open_fds(), before);
}
