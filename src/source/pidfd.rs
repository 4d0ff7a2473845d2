//! A process as a file descriptor: [`PidFd`], readable when it exits.


use rustix::fd::OwnedFd;
use rustix::process::{pidfd_open, pidfd_send_signal, Pid, PidfdFlags, Signal};

use crate::Result;

/// A `pidfd_open(2)` file descriptor (Linux 5.3): refers to one process,
/// immune to pid reuse, and becomes readable when that process exits. The
/// exit status is still collected with `waitid` (e.g. rustix's
/// `waitid(WaitId::PidFd(..))`) or `waitpid`.
///
/// On kernels before 5.3 `open` answers `ENOSYS`; sending a signal needs 5.1.
///
/// # Example
///
/// ```
/// use rawepoll::{Epoll, Events, Interest, PidFd, Signal, Timeout, Token};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut child = std::process::Command::new("sleep").arg("60").spawn()?;
/// let pid = rawepoll::Pid::from_raw(child.id() as i32).unwrap();
/// let pidfd = PidFd::open(pid)?;
/// let epoll = Epoll::new()?;
/// epoll.add(&pidfd, Token(1), Interest::READABLE)?;
///
/// pidfd.send_signal(Signal::TERM)?;
/// let mut events = Events::<1>::new();
/// assert_eq!(epoll.wait(&mut events, Timeout::from_millis(5000))?, 1);
/// child.wait()?; // reap it
/// # Ok(()) }
/// ```
///
/// # References
///  - [pidfd_open(2)](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
pub struct PidFd {
    fd: OwnedFd,
}

owned_fd_traits!(PidFd);

impl PidFd {
    /// `pidfd_open(pid, PIDFD_NONBLOCK)`—Opens a pidfd for `pid`.
    ///
    /// # Errors
    ///
    /// * `ESRCH`: no such process.
    /// * `EINVAL`: `pid` is not a thread-group leader (or the flags are
    ///   unknown: `PIDFD_NONBLOCK` needs Linux 5.10).
    /// * `ENOSYS`: the kernel is older than 5.3.
    /// * `EMFILE` / `ENFILE`: the per-process / system-wide fd limit is reached.
    ///
    /// # References
    ///  - [pidfd_open(2)](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    #[inline]
    #[doc(alias = "pidfd_open")]
    pub fn open(pid: Pid) -> Result<PidFd> {
        Ok(PidFd {
            fd: pidfd_open(pid, PidfdFlags::NONBLOCK)?,
        })
    }

    /// `pidfd_send_signal(fd, signal, NULL, 0)`—Sends `signal` to the
    /// process, which cannot have been replaced by a pid-reusing stranger.
    ///
    /// # Errors
    ///
    /// * `ESRCH`: the process has exited (even if not yet reaped).
    /// * `EPERM`: no permission to signal it.
    /// * `ENOSYS`: the kernel is older than 5.1.
    ///
    /// # References
    ///  - [pidfd_send_signal(2)](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
    #[inline]
    #[doc(alias = "pidfd_send_signal")]
    pub fn send_signal(&self, signal: Signal) -> Result<()> {
        pidfd_send_signal(&self.fd, signal)
    }
}
