//! Signals as a readable file descriptor: [`SignalFd`] and [`SigInfo`].

use core::fmt;

use rustix::fd::OwnedFd;
use rustix::io::{self, Errno};
use rustix::process::Signal;

use crate::sigset::SigSet;
use crate::sys;
use crate::Result;

/// A `signalfd(2)`: the signals in its set, while *blocked*, become readable
/// records instead of interrupting the program. Non-blocking and
/// close-on-exec.
///
/// Block the signals first ([`block_signals`](crate::block_signals)),
/// before any other thread is spawned, or they are delivered the usual way
/// and never reach the fd. Standard signals coalesce: two `SIGCHLD`s sent
/// before a read are one record, so a reaper must loop on `waitid` until no
/// child is left.
///
/// # Example
///
/// ```
/// use rawepoll::{block_signals, set_signal_mask, Epoll, Events, Interest, SigSet, SignalFd, Signal, Timeout, Token};
/// # fn main() -> rawepoll::Result<()> {
/// let set = SigSet::empty().with(Signal::USR1);
/// let old_mask = block_signals(&set)?;
/// let signals = SignalFd::new(&set)?;
/// let epoll = Epoll::new()?;
/// epoll.add(&signals, Token(0), Interest::READABLE)?;
///
/// // This program is single-threaded, so the blocked signal stays pending
/// // for the signalfd.
/// rustix::process::kill_process(rustix::process::getpid(), Signal::USR1)?;
/// let mut events = Events::<1>::new();
/// assert_eq!(epoll.wait(&mut events, Timeout::from_millis(1000))?, 1);
/// let info = signals.read()?.expect("a pending signal");
/// assert_eq!(info.signal(), Signal::USR1.as_raw());
/// assert_eq!(signals.read()?, None);
/// set_signal_mask(&old_mask)?;
/// # Ok(()) }
/// ```
///
/// # References
///  - [signalfd(2)](https://man7.org/linux/man-pages/man2/signalfd.2.html)
pub struct SignalFd {
    fd: OwnedFd,
}

owned_fd_traits!(
    SignalFd,
    "Takes ownership of a signalfd made elsewhere (inherited, or received \
     over a socket). It is not checked; made without `SFD_NONBLOCK`, \
     `read` blocks until a signal is pending."
);

impl SignalFd {
    /// `signalfd4(-1, set, 8, SFD_CLOEXEC | SFD_NONBLOCK)`—Creates a signalfd
    /// for the signals in `set`, which must be blocked already (see
    /// [`blocked`](SignalFd::blocked), which does both): a signal that is
    /// not blocked is delivered the usual way, never reaches the fd, and by
    /// default ends the process.
    ///
    /// Made through rawepoll's one raw-syscall module (rustix has no
    /// signalfd).
    ///
    /// # Errors
    ///
    /// * `EMFILE` / `ENFILE`: the per-process / system-wide fd limit is reached.
    /// * `ENOMEM`, `ENODEV`: the kernel could not create it.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{block_signals, set_signal_mask, SigSet, Signal, SignalFd};
    /// let set = SigSet::empty().with(Signal::TERM).with(Signal::INT);
    /// let old = block_signals(&set)?; // first, before any thread is spawned
    /// let signals = SignalFd::new(&set)?;
    /// assert_eq!(signals.read()?, None);
    /// # drop(signals); set_signal_mask(&old)?;
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [signalfd(2)](https://man7.org/linux/man-pages/man2/signalfd.2.html)
    #[inline]
    #[doc(alias = "signalfd")]
    #[doc(alias = "signalfd4")]
    pub fn new(set: &SigSet) -> Result<SignalFd> {
        Ok(SignalFd {
            fd: sys::signalfd4(set)?,
        })
    }

    /// `rt_sigprocmask(SIG_BLOCK, set, &old)`, then `signalfd4(-1, set, 8,
    /// SFD_CLOEXEC | SFD_NONBLOCK)`—Blocks the signals in `set` for the
    /// calling thread and creates a signalfd for them; returns it with the
    /// thread's previous mask (to restore, or to hand to a child before
    /// `execve`).
    ///
    /// The constructor that cannot fall into the signalfd trap: with
    /// [`new`](SignalFd::new) on a set that is not blocked, the signals are
    /// delivered the usual way and never reach the fd, and the default
    /// action of most of them ends the process. Call it before any other
    /// thread is spawned (threads inherit the mask when they are created;
    /// one made earlier can still take a process-directed signal).
    ///
    /// # Errors
    ///
    /// As [`new`](SignalFd::new); on an error the mask is put back as it
    /// was, so nothing changed.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{set_signal_mask, SigSet, Signal, SignalFd};
    /// let set = SigSet::empty().with(Signal::ALARM);
    /// let (signals, old_mask) = SignalFd::blocked(&set)?;
    /// assert!(!old_mask.contains(Signal::ALARM));
    /// // Default action: terminate. Blocked, it waits in the fd instead.
    /// rustix::process::kill_process(rustix::process::getpid(), Signal::ALARM)?;
    /// assert_eq!(signals.read()?.map(|i| i.signal()), Some(Signal::ALARM.as_raw()));
    /// set_signal_mask(&old_mask)?;
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [signalfd(2)](https://man7.org/linux/man-pages/man2/signalfd.2.html)
    ///  - [sigprocmask(2)](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
    #[inline]
    pub fn blocked(set: &SigSet) -> Result<(SignalFd, SigSet)> {
        let old = crate::block_signals(set)?;
        match SignalFd::new(set) {
            Ok(signals) => Ok((signals, old)),
            Err(e) => {
                // Nothing may change on an error: the mask goes back.
                let _ = crate::set_signal_mask(&old);
                Err(e)
            }
        }
    }

    /// `read(fd, &mut signalfd_siginfo, 128)`—Takes one pending signal, or
    /// `None` when none is pending (the kernel's `EAGAIN`).
    ///
    /// # Errors
    ///
    /// None in practice: only errors `read(2)` reports for a valid signalfd.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{block_signals, set_signal_mask, SigSet, Signal, SignalFd};
    /// let set = SigSet::empty().with(Signal::USR2);
    /// let old = block_signals(&set)?;
    /// let signals = SignalFd::new(&set)?;
    /// // A single-threaded program: the blocked signal stays pending for the fd.
    /// rustix::process::kill_process(rustix::process::getpid(), Signal::USR2)?;
    /// while let Some(info) = signals.read()? {
    ///     assert_eq!(info.named_signal(), Some(Signal::USR2));
    /// }
    /// # drop(signals); set_signal_mask(&old)?;
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [signalfd(2)](https://man7.org/linux/man-pages/man2/signalfd.2.html)
    #[inline]
    pub fn read(&self) -> Result<Option<SigInfo>> {
        let mut buf = [0u8; SigInfo::SIZE];
        match io::read(&self.fd, &mut buf) {
            Ok(n) if n == SigInfo::SIZE => Ok(Some(SigInfo { raw: buf })),
            // The kernel reads whole records only.
            Ok(_) => Err(Errno::IO),
            Err(Errno::AGAIN) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// One signal read from a [`SignalFd`]: the kernel's 128-byte `struct
/// signalfd_siginfo`, decoded on demand.
///
/// # Example
///
/// ```
/// // A SigInfo comes from SignalFd::read; see SignalFd for a full example.
/// fn describe(info: &rawepoll::SigInfo) -> String {
///     format!("signal {} from pid {} (uid {})", info.signal(), info.pid(), info.uid())
/// }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SigInfo {
    raw: [u8; SigInfo::SIZE],
}

impl SigInfo {
    const SIZE: usize = 128;

    #[inline]
    fn u32_at(&self, offset: usize) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.raw[offset..offset + 4]);
        u32::from_ne_bytes(b)
    }

    /// `ssi_signo`: the signal number, raw (real-time signals have no named
    /// constant); [`named_signal`](SigInfo::named_signal) gives the name.
    #[inline]
    #[must_use]
    pub fn signal(&self) -> i32 {
        self.u32_at(0) as i32
    }

    /// `ssi_signo` as a named [`Signal`], or `None` for a signal without a
    /// name (the real-time signals `SIGRTMIN`..=`SIGRTMAX`, whose raw
    /// number [`signal`](SigInfo::signal) gives).
    ///
    /// ```
    /// use rawepoll::{SigInfo, Signal};
    /// fn is_shutdown(info: &SigInfo) -> bool {
    ///     matches!(info.named_signal(), Some(Signal::TERM | Signal::INT))
    /// }
    /// ```
    #[inline]
    #[must_use]
    pub fn named_signal(&self) -> Option<Signal> {
        Signal::from_named_raw(self.signal())
    }

    /// `ssi_errno`: an error number (rarely used).
    #[inline]
    #[must_use]
    pub fn errno(&self) -> i32 {
        self.u32_at(4) as i32
    }

    /// `ssi_code`: why it was sent: `SI_USER` (0) from `kill`, `SI_QUEUE`
    /// (-1), `SI_TKILL` (-6), or for `SIGCHLD` a `CLD_*` code (1 exited,
    /// 2 killed, 3 dumped, 4 trapped, 5 stopped, 6 continued).
    #[inline]
    #[must_use]
    pub fn code(&self) -> i32 {
        self.u32_at(8) as i32
    }

    /// `ssi_pid`: the sender's process id (for `SIGCHLD`, the child's).
    #[inline]
    #[must_use]
    pub fn pid(&self) -> i32 {
        self.u32_at(12) as i32
    }

    /// `ssi_uid`: the sender's real user id.
    #[inline]
    #[must_use]
    pub fn uid(&self) -> u32 {
        self.u32_at(16)
    }

    /// `ssi_status`: for `SIGCHLD`, the exit status or the signal that ended
    /// or stopped the child; for `sigqueue`, the value sent.
    #[inline]
    #[must_use]
    pub fn status(&self) -> i32 {
        self.u32_at(40) as i32
    }

    /// The raw `struct signalfd_siginfo`, for the fields not decoded here.
    #[inline]
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 128] {
        &self.raw
    }
}

impl fmt::Debug for SigInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigInfo")
            .field("signal", &self.signal())
            .field("code", &self.code())
            .field("pid", &self.pid())
            .field("uid", &self.uid())
            .field("status", &self.status())
            .finish()
    }
}
