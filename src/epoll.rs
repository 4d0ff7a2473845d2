//! The epoll instance: [`Epoll`].

use core::fmt;
use core::mem::MaybeUninit;

use rustix::event::epoll;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};

use crate::event::Events;
use crate::interest::{CreateFlags, Interest, Token};
use crate::timeout::Timeout;
use crate::Result;

/// An epoll instance: the kernel object that watches a set of file
/// descriptors and reports which are ready.
///
/// It owns its file descriptor: dropping it closes the fd (silently), and
/// [`Epoll::close`] closes it and reports `close(2)`'s error. It is
/// `Send + Sync`: several threads may `add`, `modify`, `delete` and `wait` on
/// one instance at once, as the kernel allows.
///
/// **Interest belongs to the open file description, not to the fd number.**
/// A registration lives until it is deleted or until *every* fd referring to
/// that file description is closed. So:
///
/// * [`delete`](Epoll::delete) a file descriptor *before* closing it; after
///   the close the number is gone and `delete` answers `EBADF`, yet the
///   registration can live on;
/// * a `dup`'d copy, or a copy inherited by a forked child, keeps the
///   registration alive, and events for it keep coming, with the old token,
///   after the original fd is closed.
///
/// # Example
///
/// ```
/// use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};
/// # fn main() -> rawepoll::Result<()> {
/// let epoll = Epoll::new()?;
/// let wake = EventFd::new()?;
/// epoll.add(&wake, Token(1), Interest::READABLE)?;
///
/// let mut events = Events::<8>::new();
/// assert_eq!(epoll.wait(&mut events, Timeout::ZERO)?, 0);
///
/// wake.notify()?;
/// assert_eq!(epoll.wait(&mut events, Timeout::from_millis(100))?, 1);
/// for event in &events {
///     assert_eq!(event.token(), Token(1));
///     assert!(event.is_readable());
/// }
/// epoll.delete(&wake)?;
/// epoll.close()?;
/// # Ok(()) }
/// ```
///
/// # References
///  - [epoll(7)](https://man7.org/linux/man-pages/man7/epoll.7.html)
pub struct Epoll {
    fd: OwnedFd,
}

impl Epoll {
    /// `epoll_create1(EPOLL_CLOEXEC)`—Creates an epoll instance whose fd is
    /// closed across `execve`.
    ///
    /// # Errors
    ///
    /// * `EMFILE` / `ENFILE`: the per-process / system-wide fd limit is reached.
    /// * `ENOMEM`: the kernel is out of memory.
    ///
    /// # References
    ///  - [epoll_create1(2)](https://man7.org/linux/man-pages/man2/epoll_create1.2.html)
    #[inline]
    #[doc(alias = "epoll_create1")]
    #[doc(alias = "epoll_create")]
    pub fn new() -> Result<Epoll> {
        Self::with_flags(CreateFlags::CLOEXEC)
    }

    /// `epoll_create1(flags)`—Creates an epoll instance with the given flags;
    /// `CreateFlags::empty()` is `epoll_create1(0)`, whose fd survives
    /// `execve`.
    ///
    /// # Errors
    ///
    /// * `EINVAL`: an unknown flag (cannot happen with [`CreateFlags`]'s
    ///   constants).
    /// * `EMFILE` / `ENFILE`: the per-process / system-wide fd limit is reached.
    /// * `ENOMEM`: the kernel is out of memory.
    ///
    /// # References
    ///  - [epoll_create1(2)](https://man7.org/linux/man-pages/man2/epoll_create1.2.html)
    #[inline]
    #[doc(alias = "epoll_create1")]
    pub fn with_flags(flags: CreateFlags) -> Result<Epoll> {
        let flags = epoll::CreateFlags::from_bits_retain(flags.bits());
        Ok(Epoll {
            fd: epoll::create(flags)?,
        })
    }

    /// `epoll_ctl(epfd, EPOLL_CTL_ADD, fd, {interest, token})`—Starts
    /// watching `fd` for `interest`; its events carry `token`.
    ///
    /// Delete the fd before closing it: see [`Epoll`] on why a registration
    /// outlives the fd number.
    ///
    /// # Errors
    ///
    /// * `EBADF`: `fd` is not an open file descriptor.
    /// * `EEXIST`: `fd` is already registered in this instance.
    /// * `EINVAL`: `fd` is this epoll itself, or `EXCLUSIVE` is combined with
    ///   `ONESHOT`, or `EXCLUSIVE` is asked for an epoll fd.
    /// * `ELOOP`: `fd` is an epoll instance and adding it would make a cycle
    ///   or nest epolls more than 5 deep.
    /// * `ENOMEM`: the kernel is out of memory.
    /// * `ENOSPC`: the per-user limit `/proc/sys/fs/epoll/max_user_watches`
    ///   is reached.
    /// * `EPERM`: `fd` does not support epoll: a regular file or a directory
    ///   (they are always ready; read them directly).
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    #[doc(alias = "epoll_ctl")]
    #[doc(alias = "EPOLL_CTL_ADD")]
    pub fn add(&self, fd: impl AsFd, token: Token, interest: Interest) -> Result<()> {
        epoll::add(
            &self.fd,
            fd,
            epoll::EventData::new_u64(token.0),
            epoll::EventFlags::from_bits_retain(interest.bits()),
        )
    }

    /// `epoll_ctl(epfd, EPOLL_CTL_MOD, fd, {interest, token})`—Replaces the
    /// interest and token of a registered `fd`. This is how a `ONESHOT`
    /// registration is re-armed.
    ///
    /// # Errors
    ///
    /// * `EBADF`: `fd` is not an open file descriptor.
    /// * `ENOENT`: `fd` is not registered in this instance.
    /// * `EINVAL`: `interest` has `EXCLUSIVE`, or `fd` was added with
    ///   `EXCLUSIVE` (such a registration cannot be modified: delete and
    ///   add it again), or `fd` is this epoll itself.
    /// * `ENOMEM`: the kernel is out of memory.
    /// * `EPERM`: `fd` does not support epoll.
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    #[doc(alias = "epoll_ctl")]
    #[doc(alias = "EPOLL_CTL_MOD")]
    pub fn modify(&self, fd: impl AsFd, token: Token, interest: Interest) -> Result<()> {
        epoll::modify(
            &self.fd,
            fd,
            epoll::EventData::new_u64(token.0),
            epoll::EventFlags::from_bits_retain(interest.bits()),
        )
    }

    /// `epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL)`—Stops watching `fd`.
    ///
    /// Events already stored in an [`Events`] buffer by an earlier `wait`
    /// stay there: a loop that deletes one fd while walking a buffer must
    /// skip later events for its token itself.
    ///
    /// # Errors
    ///
    /// * `EBADF`: `fd` is not an open file descriptor (it was closed first:
    ///   delete before close).
    /// * `ENOENT`: `fd` is not registered in this instance.
    /// * `EINVAL`: `fd` is this epoll itself.
    /// * `EPERM`: `fd` does not support epoll.
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    #[doc(alias = "epoll_ctl")]
    #[doc(alias = "EPOLL_CTL_DEL")]
    pub fn delete(&self, fd: impl AsFd) -> Result<()> {
        epoll::delete(&self.fd, fd)
    }

    /// `epoll_wait(epfd, events, N, timeout)`—Waits until a registered fd is
    /// ready or `timeout` passes, and stores up to `N` events in `events`.
    ///
    /// `events` is emptied first, so it always offers the kernel all `N`
    /// slots; returns how many it filled (0 on timeout), also
    /// `events.len()`. The timeout is passed in milliseconds, a
    /// sub-millisecond part rounded up (see [`Timeout`]). The call is made
    /// as `epoll_pwait` with a NULL signal mask, which is the same system
    /// call on every architecture (some have no plain `epoll_wait`).
    /// Nothing is allocated; the whole path down to the `syscall`
    /// instruction is inlined.
    ///
    /// # Errors
    ///
    /// * `EINTR`: a signal handler ran before any event arrived (even under
    ///   `SA_RESTART`, and after `SIGSTOP`/`SIGCONT`). Returned unchanged:
    ///   call `wait` again with the time that is left.
    /// * `EBADF`: the fd is not open (only through [`From<OwnedFd>`]).
    /// * `EINVAL`: the fd is not an epoll instance (only through
    ///   [`From<OwnedFd>`]).
    ///
    /// # References
    ///  - [epoll_wait(2)](https://man7.org/linux/man-pages/man2/epoll_wait.2.html)
    #[inline]
    #[doc(alias = "epoll_wait")]
    #[doc(alias = "epoll_pwait")]
    pub fn wait<const N: usize>(&self, events: &mut Events<N>, timeout: Timeout) -> Result<usize> {
        events.buf.clear();
        let slots = events
            .buf
            .as_mut_ptr()
            .cast::<[MaybeUninit<epoll::Event>; N]>();
        // SAFETY: `events.buf` is a heapless::Vec<RawEvent, N>, so `slots`
        // points to storage for exactly N `RawEvent`s, valid and exclusively
        // borrowed for this call. `RawEvent` has the size and alignment of
        // rustix's `epoll::Event` (asserted at compile time in event.rs) and
        // both are plain `struct epoll_event` data with no invalid bit
        // patterns, so the storage is a valid `[MaybeUninit<Event>; N]`.
        let (ready, _) = epoll::wait(&self.fd, unsafe { &mut *slots }, timeout.as_timespec())?;
        let n = ready.len();
        // SAFETY: the kernel wrote (and rustix returned as initialized) the
        // first `n <= N` records, each a valid `RawEvent`.
        unsafe { events.buf.set_len(n) };
        Ok(n)
    }

    /// `close(epfd)`—Closes the epoll instance and reports `close(2)`'s
    /// error, which dropping it would ignore.
    ///
    /// The fd is closed whether or not an error is returned; do not retry.
    ///
    /// # Errors
    ///
    /// * `EINTR` / `EIO`: as reported by `close(2)`; the fd is gone anyway.
    ///
    /// # References
    ///  - [close(2)](https://man7.org/linux/man-pages/man2/close.2.html)
    #[inline]
    pub fn close(self) -> Result<()> {
        let raw = self.fd.into_raw_fd();
        // SAFETY: `raw` was just released by the `OwnedFd` we owned, so it is
        // open and nothing else will close or use it; after this call it is
        // never used again.
        unsafe { rustix::io::try_close(raw) }
    }
}

impl AsFd for Epoll {
    #[inline]
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Epoll {
    #[inline]
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<OwnedFd> for Epoll {
    /// Takes ownership of an epoll fd made elsewhere (inherited, received
    /// over a socket). It is not checked: if `fd` is not an epoll instance,
    /// every call answers `EINVAL`.
    #[inline]
    fn from(fd: OwnedFd) -> Self {
        Epoll { fd }
    }
}

impl From<Epoll> for OwnedFd {
    #[inline]
    fn from(epoll: Epoll) -> Self {
        epoll.fd
    }
}

impl fmt::Debug for Epoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Epoll")
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}

static_assertions::assert_impl_all!(Epoll: Send, Sync, fmt::Debug, AsFd, AsRawFd);
