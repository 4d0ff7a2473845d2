//! A process as a file descriptor: [`PidFd`], readable when it exits, and
//! its [`ExitStatus`].

use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;
use rustix::process::{
    pidfd_open, pidfd_send_signal, waitid, Pid, PidfdFlags, Signal, WaitId, WaitIdOptions,
};

use crate::probe::Probe;
use crate::Result;

/// Whether `pidfd_open` takes `PIDFD_NONBLOCK` (Linux 5.10), learned on
/// first use.
static NONBLOCK: Probe = Probe::new();

/// A `pidfd_open(2)` file descriptor (Linux 5.3): refers to one process,
/// immune to pid reuse, and becomes readable when that process exits.
/// [`try_wait`](PidFd::try_wait) then collects the exit status of a child.
///
/// On kernels before 5.3 `open` answers `ENOSYS`; sending a signal needs
/// 5.1, `try_wait` 5.4. On 5.3 to 5.9 the pidfd is opened blocking (see
/// [`open`](PidFd::open)).
///
/// # Example
///
/// ```
/// use rawepoll::{Epoll, Events, ExitStatus, Interest, PidFd, Signal, Timeout, Token};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let child = std::process::Command::new("sleep").arg("60").spawn()?;
/// let pid = rawepoll::Pid::from_raw(child.id() as i32).unwrap();
/// let pidfd = PidFd::open(pid)?;
/// let epoll = Epoll::new()?;
/// epoll.add(&pidfd, Token(1), Interest::READABLE)?;
///
/// pidfd.send_signal(Signal::TERM)?;
/// let mut events = Events::<1>::new();
/// assert_eq!(epoll.wait(&mut events, Timeout::from_millis(5000))?, 1);
/// // Reaps it: std's `child.wait()` would now answer ECHILD.
/// let status = pidfd.try_wait()?;
/// assert_eq!(status, Some(ExitStatus::Signaled { signal: Signal::TERM.as_raw(), core_dumped: false }));
/// # Ok(()) }
/// ```
///
/// # References
///  - [pidfd_open(2)](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
pub struct PidFd {
    fd: OwnedFd,
}

owned_fd_traits!(
    PidFd,
    "Takes ownership of a pidfd made elsewhere: inherited, received over a \
     socket, or returned by `clone3(CLONE_PIDFD)`. It is not checked."
);

impl PidFd {
    /// `pidfd_open(pid, PIDFD_NONBLOCK)`—Opens a pidfd for `pid`.
    ///
    /// `PIDFD_NONBLOCK` is Linux 5.10; kernels 5.3 to 5.9 answer `EINVAL`
    /// to it. Then `open` retries without the flag, remembers that
    /// process-wide ([`pidfd_nonblock_available`] tells), and opens every
    /// later pidfd without it. What such a pidfd lacks is only that a
    /// `waitid` *without* `WNOHANG` on it blocks until the process exits;
    /// rawepoll's own [`try_wait`](PidFd::try_wait) passes `WNOHANG` and
    /// never blocks, and readiness through epoll is the same.
    ///
    /// # Errors
    ///
    /// * `ESRCH`: no such process.
    /// * `EINVAL` (before Linux 6.9) / `ENOENT` (since): `pid` is a thread
    ///   that is not a thread-group leader.
    /// * `ENOSYS`: the kernel is older than 5.3.
    /// * `EMFILE` / `ENFILE`: the per-process / system-wide fd limit is reached.
    ///
    /// # Example
    ///
    /// ```
    /// let me = rawepoll::PidFd::open(rustix::process::getpid())?;
    /// # drop(me);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [pidfd_open(2)](https://man7.org/linux/man-pages/man2/pidfd_open.2.html)
    #[inline]
    #[doc(alias = "pidfd_open")]
    pub fn open(pid: Pid) -> Result<PidFd> {
        if NONBLOCK.worth_trying() {
            match pidfd_open(pid, PidfdFlags::NONBLOCK) {
                Ok(fd) => {
                    NONBLOCK.available();
                    return Ok(PidFd { fd });
                }
                // Either the flag is unknown (5.3 to 5.9) or `pid` is not a
                // thread-group leader: only a retry that succeeds without
                // the flag proves the former.
                Err(Errno::INVAL) => {}
                Err(e) => return Err(e),
            }
        }
        let fd = pidfd_open(pid, PidfdFlags::empty())?;
        NONBLOCK.unavailable();
        Ok(PidFd { fd })
    }

    /// `pidfd_open(child.id(), PIDFD_NONBLOCK)`—Opens a pidfd for a child
    /// spawned by std, as [`open`](PidFd::open) does.
    ///
    /// Race-free as long as the child has not been waited for (a child's pid
    /// cannot be reused before it is reaped): open it before calling
    /// `child.wait()` or `child.try_wait()`. Reaping through
    /// [`try_wait`](PidFd::try_wait) leaves std's `Child` unable to wait
    /// (`ECHILD`); reaping through std leaves the pidfd readable, with
    /// nothing left to collect.
    ///
    /// # Errors
    ///
    /// As [`open`](PidFd::open); `ESRCH` if the child was already reaped.
    ///
    /// # Example
    ///
    /// ```
    /// let mut child = std::process::Command::new("true").spawn().unwrap();
    /// let pidfd = rawepoll::PidFd::from_child(&child)?;
    /// # let _ = (pidfd, child.wait());
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    #[cfg(feature = "std")]
    #[inline]
    pub fn from_child(child: &std::process::Child) -> Result<PidFd> {
        let pid = i32::try_from(child.id()).map_err(|_| Errno::SRCH)?;
        Self::open(Pid::from_raw(pid).ok_or(Errno::SRCH)?)
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
    /// # Example
    ///
    /// ```
    /// let child = std::process::Command::new("sleep").arg("60").spawn().unwrap();
    /// let pidfd = rawepoll::PidFd::open(rawepoll::Pid::from_raw(child.id() as i32).unwrap())?;
    /// pidfd.send_signal(rawepoll::Signal::KILL)?;
    /// # while pidfd.try_wait()?.is_none() { std::thread::sleep(std::time::Duration::from_millis(1)) }
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [pidfd_send_signal(2)](https://man7.org/linux/man-pages/man2/pidfd_send_signal.2.html)
    #[inline]
    #[doc(alias = "pidfd_send_signal")]
    pub fn send_signal(&self, signal: Signal) -> Result<()> {
        pidfd_send_signal(&self.fd, signal)
    }

    /// `waitid(P_PIDFD, fd, &info, WEXITED | WNOHANG)`—The exit status of
    /// the child, reaping it, or `None` while it still runs. Needs no side
    /// table from pid to child: the pidfd is the child.
    ///
    /// Call it when the pidfd is readable. The process must be a child of
    /// the caller; once reaped, a second call answers `ECHILD`. The pidfd
    /// stays readable after the exit (level-triggered: every wait reports
    /// it again), so delete it from the epoll or drop it once this returns
    /// the status. A [`reap_any`] loop (a supervisor's or a subreaper's)
    /// takes the status first: then this answers `ECHILD`.
    ///
    /// # Errors
    ///
    /// * `ECHILD`: the process is not a child of the caller, or it was
    ///   already reaped (by this call before, by `waitpid`, or by the kernel
    ///   because `SIGCHLD` is ignored).
    /// * `EINVAL`: the kernel is older than 5.4 (no `P_PIDFD`).
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{ExitStatus, PidFd};
    /// let child = std::process::Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
    /// let pidfd = PidFd::open(rawepoll::Pid::from_raw(child.id() as i32).unwrap())?;
    /// let status = loop {
    ///     if let Some(status) = pidfd.try_wait()? { break status; }
    ///     std::thread::sleep(std::time::Duration::from_millis(1)); // or wait on an epoll
    /// };
    /// assert_eq!(status, ExitStatus::Exited(3));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [waitid(2)](https://man7.org/linux/man-pages/man2/waitid.2.html)
    #[inline]
    #[doc(alias = "waitid")]
    #[doc(alias = "P_PIDFD")]
    pub fn try_wait(&self) -> Result<Option<ExitStatus>> {
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG;
        match waitid(WaitId::PidFd(self.fd.as_fd()), options)? {
            Some(status) => ExitStatus::of(&status).map(Some),
            None => Ok(None),
        }
    }
}

/// `wait4(-1, &status, WNOHANG, NULL)`—Reaps one child that has exited,
/// whichever it is, and returns its pid and how it ended; `None` when no
/// child has exited yet, or when there is no child at all (the kernel's
/// `ECHILD`, which here is not an error).
///
/// The loop of a supervisor or a subreaper: standard signals coalesce, so
/// on each `SIGCHLD` (from a [`SignalFd`](crate::SignalFd)) call it until
/// it answers `None`. A process that is a child subreaper
/// (`PR_SET_CHILD_SUBREAPER`) or PID 1 also gets the orphans of its
/// descendants: this reaps them too, whoever their parent was, so none is
/// left a zombie. (`rustix::process::waitpid(None, …)` is `wait4(0)`, the
/// caller's own process group only, and leaves reparented orphans behind.)
///
/// It takes the status of every child, including those you hold a
/// [`PidFd`] for: afterwards that `PidFd`'s [`try_wait`](PidFd::try_wait)
/// answers `ECHILD`. In a program that reaps this way, match the pid it
/// returns against your children instead of calling `try_wait`. A `PidFd`
/// stays readable once its process has exited (level-triggered, until it
/// is closed or deleted from the epoll), so delete or drop it when its
/// child is reaped, by either means.
///
/// # Errors
///
/// None in practice: `ECHILD` is `Ok(None)`, and `EINVAL` cannot happen
/// with this flag.
///
/// # Example
///
/// ```
/// use rawepoll::{reap_any, ExitStatus};
/// let child = std::process::Command::new("sh").args(["-c", "exit 5"]).spawn().unwrap();
/// let (pid, status) = loop {
///     if let Some(reaped) = reap_any()? { break reaped; }
///     std::thread::sleep(std::time::Duration::from_millis(1)); // or wait for SIGCHLD
/// };
/// assert_eq!(pid.as_raw_nonzero().get() as u32, child.id());
/// assert_eq!(status, ExitStatus::Exited(5));
/// # Ok::<(), rawepoll::Errno>(())
/// ```
///
/// # References
///  - [wait4(2)](https://man7.org/linux/man-pages/man2/wait4.2.html)
///  - [PR_SET_CHILD_SUBREAPER](https://man7.org/linux/man-pages/man2/PR_SET_CHILD_SUBREAPER.2const.html)
#[inline]
#[doc(alias = "wait4")]
#[doc(alias = "waitpid")]
pub fn reap_any() -> Result<Option<(Pid, ExitStatus)>> {
    // Without WUNTRACED or WCONTINUED, only exits and deaths by a signal
    // are reported.
    match rustix::process::wait(rustix::process::WaitOptions::NOHANG) {
        Ok(Some((pid, status))) => Ok(Some((pid, ExitStatus::of_wait_status(status)?))),
        Ok(None) | Err(Errno::CHILD) => Ok(None),
        Err(e) => Err(e),
    }
}

/// How a child ended, from [`PidFd::try_wait`].
///
/// # Example
///
/// ```
/// use rawepoll::ExitStatus;
/// fn shell_code(status: ExitStatus) -> i32 {
///     match status {
///         ExitStatus::Exited(code) => code,
///         ExitStatus::Signaled { signal, .. } => 128 + signal,
///     }
/// }
/// assert_eq!(shell_code(ExitStatus::Exited(3)), 3);
/// assert_eq!(shell_code(ExitStatus::Signaled { signal: 9, core_dumped: false }), 137);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// It called `exit` with this code (the low 8 bits: 0 to 255).
    Exited(i32),
    /// A signal ended it (`CLD_KILLED`, or `CLD_DUMPED` with a core file).
    Signaled {
        /// The signal number (compare with `Signal::TERM.as_raw()`).
        signal: i32,
        /// Whether it dumped core.
        core_dumped: bool,
    },
}

impl ExitStatus {
    /// How a child that `waitid(WEXITED)` reported ended.
    fn of(status: &rustix::process::WaitIdStatus) -> Result<ExitStatus> {
        Self::from_parts(
            status.exit_status(),
            status.terminating_signal(),
            status.dumped(),
        )
    }

    /// How a child that `wait4` reported ended.
    fn of_wait_status(status: rustix::process::WaitStatus) -> Result<ExitStatus> {
        /// `WCOREDUMP`: the bit of a wait status saying a core was dumped.
        const CORE_DUMPED: i32 = 0x80;
        Self::from_parts(
            status.exit_status(),
            status.terminating_signal(),
            status.as_raw() & CORE_DUMPED != 0,
        )
    }

    /// An exit code or a terminating signal; neither is `EIO`, as neither
    /// `waitid(WEXITED)` nor `wait4` without `WUNTRACED`/`WCONTINUED`
    /// reports anything else.
    fn from_parts(code: Option<i32>, signal: Option<i32>, core_dumped: bool) -> Result<ExitStatus> {
        match (code, signal) {
            (Some(code), _) => Ok(ExitStatus::Exited(code)),
            (None, Some(signal)) => Ok(ExitStatus::Signaled {
                signal,
                core_dumped,
            }),
            (None, None) => Err(Errno::IO),
        }
    }
}

/// What rawepoll has learned about `PIDFD_NONBLOCK` (Linux 5.10): `None`
/// before the first [`PidFd::open`], then `Some(true)` if the kernel took
/// the flag, `Some(false)` if it answered `EINVAL` and the open without it
/// succeeded (Linux 5.3 to 5.9). Makes no system call.
///
/// ```
/// let _ = rawepoll::PidFd::open(rustix::process::getpid());
/// assert!(rawepoll::pidfd_nonblock_available().is_some());
/// ```
#[must_use]
pub fn pidfd_nonblock_available() -> Option<bool> {
    NONBLOCK.known()
}
