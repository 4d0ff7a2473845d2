//! Child processes watched through a `PidFd`, for the tests of its exit
//! statuses and of its fallbacks.

use rawepoll::{Epoll, Events, ExitStatus, Interest, PidFd, Timeout, Token};

/// `sh -c script`, spawned, with a pidfd for it (`PidFd::open` on its pid,
/// what `PidFd::from_child` does with the `std` feature; this works
/// without it). Keep the `Child`: dropping it does not reap, but it
/// documents who owns the process.
pub fn sh(script: &str) -> (std::process::Child, PidFd) {
    let child = std::process::Command::new("sh")
        .args(["-c", script])
        .spawn()
        .unwrap();
    let pid = rawepoll::Pid::from_raw(child.id() as i32).unwrap();
    let pidfd = PidFd::open(pid).unwrap();
    (child, pidfd)
}

/// Waits (at most 10 s) for the pidfd to become readable, then reaps the
/// child through it.
pub fn exit_of(pidfd: &PidFd) -> ExitStatus {
    let epoll = Epoll::new().unwrap();
    epoll.add(pidfd, Token(1), Interest::READABLE).unwrap();
    let mut events = Events::<1>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::from_millis(10_000)), Ok(1));
    pidfd.try_wait().unwrap().expect("readable: it has exited")
}
