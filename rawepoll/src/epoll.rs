//! The epoll instance: [`Epoll`].

use core::fmt;
use core::mem::MaybeUninit;

use rustix::event::epoll;
use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::io::Errno;

use crate::event::{Events, RawEvent};
use crate::fd::AsBorrowedFd;
use crate::interest::{CreateFlags, Interest, Token};
use crate::sigset::SigSet;
use crate::sys;
use crate::timeout::{Deadline, Timeout};
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
/// **Nested in another event loop.** An epoll fd is itself pollable: it is
/// readable when a `wait` would report something, so tokio's `AsyncFd` or
/// async-io's `Async` can wait on it. tokio (since 1.54,
/// `AsyncFd::register`, an `unsafe fn`: tokio #8587) asks that the fd stay
/// open and refer to the *same open file* for as long as the `AsyncFd`
/// holds it, and that `as_raw_fd` always return that same number. An
/// `Epoll` keeps its fd from `new` until it is dropped or
/// [`close`](Epoll::close)d, never replaced: owned by the `AsyncFd` (or
/// borrowed by a wrapper it owns, for a `static` such as
/// `rawepoll_rt::Runtime`'s epoll), it meets that contract. Read events
/// with a zero [`Timeout`] when the other loop reports it readable;
/// `rawepoll_rt::Runtime::try_turn` (crate rawepoll-rt) does that and answers
/// `EAGAIN` ("would block") when nothing was there.
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

owned_fd_traits!(
    Epoll,
    "Takes ownership of an epoll fd made elsewhere (inherited, received \
     over a socket). It is not checked: if `fd` is not an epoll instance, \
     every call answers `EINVAL`."
);

impl Epoll {
    /// `epoll_create1(EPOLL_CLOEXEC)`—Creates an epoll instance whose fd is
    /// closed across `execve`.
    ///
    /// # Errors
    ///
    /// * `EMFILE` / `ENFILE`: the per-process / system-wide fd limit is reached.
    /// * `ENOMEM`: the kernel is out of memory.
    ///
    /// # Example
    ///
    /// ```
    /// let epoll = rawepoll::Epoll::new()?;
    /// # let _ = epoll;
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
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
    /// # Example
    ///
    /// ```
    /// use rawepoll::{CreateFlags, Epoll};
    /// let inherited_by_exec = Epoll::with_flags(CreateFlags::empty())?;
    /// let closed_on_exec = Epoll::with_flags(CreateFlags::CLOEXEC)?;
    /// # let _ = (inherited_by_exec, closed_on_exec);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
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
    /// `fd` is borrowed for the call: pass `&fd` or `fd.as_fd()` (see
    /// [`AsBorrowedFd`]; an owned value is a compile error, since it would be
    /// closed at the end of the statement). Delete the fd before closing
    /// it: see [`Epoll`] on why a registration outlives the fd number.
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
    /// # Example
    ///
    /// ```
    /// use rawepoll::{AsFd, Epoll, Errno, EventFd, Interest, Token};
    /// let epoll = Epoll::new()?;
    /// let wake = EventFd::new()?;
    /// epoll.add(&wake, Token(7), Interest::READABLE | Interest::EDGE)?;
    /// // Twice is EEXIST; the first registration is untouched.
    /// assert_eq!(epoll.add(wake.as_fd(), Token(8), Interest::READABLE), Err(Errno::EXIST));
    /// # Ok::<(), Errno>(())
    /// ```
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    #[doc(alias = "epoll_ctl")]
    #[doc(alias = "EPOLL_CTL_ADD")]
    pub fn add(&self, fd: impl AsBorrowedFd, token: Token, interest: Interest) -> Result<()> {
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
    /// # Example
    ///
    /// ```
    /// use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};
    /// let epoll = Epoll::new()?;
    /// let wake = EventFd::with_value(1)?;
    /// epoll.add(&wake, Token(1), Interest::READABLE | Interest::ONESHOT)?;
    /// let mut events = Events::<4>::new();
    /// assert_eq!(epoll.wait(&mut events, Timeout::ZERO)?, 1);
    /// assert_eq!(epoll.wait(&mut events, Timeout::ZERO)?, 0); // disabled after one event
    /// epoll.modify(&wake, Token(2), Interest::READABLE | Interest::ONESHOT)?; // re-armed
    /// assert_eq!(epoll.wait(&mut events, Timeout::ZERO)?, 1);
    /// assert_eq!(events.get(0).unwrap().token(), Token(2));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    #[doc(alias = "epoll_ctl")]
    #[doc(alias = "EPOLL_CTL_MOD")]
    pub fn modify(&self, fd: impl AsBorrowedFd, token: Token, interest: Interest) -> Result<()> {
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
    /// # Example
    ///
    /// ```
    /// use rawepoll::{Epoll, Errno, EventFd, Events, Interest, Timeout, Token};
    /// let epoll = Epoll::new()?;
    /// let wake = EventFd::with_value(1)?;
    /// epoll.add(&wake, Token(1), Interest::READABLE)?;
    /// epoll.delete(&wake)?; // before the fd is closed
    /// let mut events = Events::<4>::new();
    /// assert_eq!(epoll.wait(&mut events, Timeout::ZERO)?, 0);
    /// assert_eq!(epoll.delete(&wake), Err(Errno::NOENT));
    /// # Ok::<(), Errno>(())
    /// ```
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    #[doc(alias = "epoll_ctl")]
    #[doc(alias = "EPOLL_CTL_DEL")]
    pub fn delete(&self, fd: impl AsBorrowedFd) -> Result<()> {
        epoll::delete(&self.fd, fd)
    }

    /// `epoll_wait(epfd, events, N, timeout)`—Waits until a registered fd is
    /// ready or `timeout` passes, and stores up to `N` events in `events`.
    ///
    /// `events` is emptied first, so it always offers the kernel all `N`
    /// slots; returns how many it filled (0 on timeout), also
    /// `events.len()`. Nothing is allocated; the whole path down to the
    /// `syscall` instruction is inlined.
    ///
    /// The call made depends on the timeout, each the cheapest that does the
    /// job, made through rawepoll's raw-syscall module:
    ///
    /// * whole milliseconds, `ZERO` or `NEVER`: `epoll_wait(…, ms)` where the
    ///   architecture has that call (`x86_64`, i686, armv7, s390x, ppc64le),
    ///   `epoll_pwait(…, ms, NULL)` where it does not (aarch64, riscv64:
    ///   the same wait);
    /// * a part finer than a millisecond: `epoll_pwait2` (Linux 5.11) with
    ///   the exact duration. Where it answers `ENOSYS` (kernels before
    ///   5.11, qemu-user, some seccomp sandboxes) or `EPERM` (container
    ///   seccomp profiles that predate the call; the call has no `EPERM` of
    ///   its own), rawepoll remembers it process-wide and from then on uses
    ///   `epoll_pwait` with the timeout rounded up to the next millisecond. [`disable_epoll_pwait2`]
    ///   skips the probe, for sandboxes that kill on unknown calls.
    ///
    /// # Errors
    ///
    /// * `EINTR`: a signal handler ran before any event arrived (even under
    ///   `SA_RESTART`, and after `SIGSTOP`/`SIGCONT`). Returned unchanged;
    ///   [`wait_deadline`](Epoll::wait_deadline) retries with the time left.
    /// * `EBADF`: the fd is not open (only through [`From<OwnedFd>`]).
    /// * `EINVAL`: the fd is not an epoll instance (only through
    ///   [`From<OwnedFd>`]).
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};
    /// let epoll = Epoll::new()?;
    /// let wake = EventFd::new()?;
    /// epoll.add(&wake, Token(1), Interest::READABLE)?;
    /// let mut events = Events::<64>::new();
    /// // Nothing ready: returns 0 after 250 µs (epoll_pwait2, or 1 ms where it is missing).
    /// assert_eq!(epoll.wait(&mut events, Timeout::from(Duration::from_micros(250)))?, 0);
    /// wake.notify()?;
    /// assert_eq!(epoll.wait(&mut events, Timeout::NEVER)?, 1);
    /// for event in &events {
    ///     assert_eq!((event.token(), event.is_readable()), (Token(1), true));
    /// }
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [epoll_wait(2)](https://man7.org/linux/man-pages/man2/epoll_wait.2.html)
    #[inline]
    #[doc(alias = "epoll_wait")]
    #[doc(alias = "epoll_pwait")]
    #[doc(alias = "epoll_pwait2")]
    pub fn wait<const N: usize>(&self, events: &mut Events<N>, timeout: Timeout) -> Result<usize> {
        sys::wait_vec(self.fd.as_fd(), events.buf.as_mut_view(), timeout, None)
    }

    /// [`wait`](Epoll::wait) into a buffer sized at run time: a slice of
    /// uninitialized records (a `Vec`'s spare capacity, a boxed slice, a
    /// part of a larger arena), of which the kernel fills the first ones.
    /// Returns those, initialized; the rest of `buf` is left as it was.
    ///
    /// It makes the same call as `wait`, chosen by the timeout in the same
    /// way, with `maxevents` the length of `buf` (at most the kernel's
    /// `EP_MAX_EVENTS`, `INT_MAX / size_of::<RawEvent>()`; a longer buffer
    /// offers that many). [`Events<N>`] is this same wait over an array it
    /// owns.
    ///
    /// # Errors
    ///
    /// As [`wait`](Epoll::wait); an empty `buf` is `EINVAL` (the kernel's
    /// answer to `maxevents` 0).
    ///
    /// # Example
    ///
    /// A buffer whose size comes from the command line or a configuration
    /// file (mio's `Events::with_capacity`), here a `Vec`'s spare capacity:
    ///
    /// ```
    /// use rawepoll::{Epoll, EventFd, Interest, RawEvent, Timeout, Token};
    /// let epoll = Epoll::new()?;
    /// let wake = EventFd::new()?;
    /// epoll.add(&wake, Token(7), Interest::READABLE)?;
    /// wake.notify()?;
    ///
    /// let capacity = 1024; // chosen at run time
    /// let mut buf: Vec<RawEvent> = Vec::with_capacity(capacity);
    /// let ready = epoll.wait_slice(buf.spare_capacity_mut(), Timeout::ZERO)?;
    /// assert_eq!(ready.len(), 1);
    /// assert_eq!(ready[0].event().token(), Token(7));
    /// assert!(ready[0].event().is_readable());
    ///
    /// assert_eq!(epoll.wait_slice(&mut [], Timeout::ZERO).err(), Some(rawepoll::Errno::INVAL));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [epoll_wait(2)](https://man7.org/linux/man-pages/man2/epoll_wait.2.html)
    #[inline]
    #[doc(alias = "epoll_wait")]
    #[doc(alias = "epoll_pwait")]
    #[doc(alias = "epoll_pwait2")]
    pub fn wait_slice<'b>(
        &self,
        buf: &'b mut [MaybeUninit<RawEvent>],
        timeout: Timeout,
    ) -> Result<&'b mut [RawEvent]> {
        sys::wait(self.fd.as_fd(), buf, timeout, None)
    }

    /// `epoll_pwait(epfd, events, N, timeout, mask)`—Like [`wait`](Epoll::wait),
    /// but for the duration of the wait the calling thread's signal mask is
    /// replaced by `mask`, atomically.
    ///
    /// The race-free way to handle signals by `EINTR`: keep a signal blocked
    /// in normal operation, and leave it out of `mask`, so it can arrive only
    /// while the thread sleeps here; its handler runs and `pwait` returns
    /// `EINTR`. (With a plain `wait`, a signal arriving just before the call
    /// would be handled too early and the wait would sleep on.) A
    /// sub-millisecond timeout uses `epoll_pwait2` with the mask, as `wait`
    /// does.
    ///
    /// Made through rawepoll's one raw-syscall module: rustix always passes
    /// a NULL mask.
    ///
    /// # Errors
    ///
    /// As [`wait`](Epoll::wait); `EINTR` is the expected answer to a signal
    /// that `mask` lets through.
    ///
    /// # References
    ///  - [epoll_pwait(2)](https://man7.org/linux/man-pages/man2/epoll_pwait.2.html)
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{block_signals, Epoll, Events, SigSet, Signal, Timeout};
    /// # fn main() -> rawepoll::Result<()> {
    /// let epoll = Epoll::new()?;
    /// // Block SIGUSR1 in normal operation; wait with the old mask, which
    /// // lets it through only while sleeping.
    /// let during_wait = block_signals(&SigSet::empty().with(Signal::USR1))?;
    /// let mut events = Events::<8>::new();
    /// assert_eq!(epoll.pwait(&mut events, Timeout::ZERO, &during_wait)?, 0);
    /// # Ok(()) }
    /// ```
    #[inline]
    #[doc(alias = "epoll_pwait")]
    pub fn pwait<const N: usize>(
        &self,
        events: &mut Events<N>,
        timeout: Timeout,
        mask: &SigSet,
    ) -> Result<usize> {
        sys::wait_vec(
            self.fd.as_fd(),
            events.buf.as_mut_view(),
            timeout,
            Some(mask),
        )
    }

    /// [`wait`](Epoll::wait) until `deadline`, retrying on `EINTR` with the
    /// time *left*, never the full timeout again.
    ///
    /// Returns the first non-empty batch, or 0 only once the deadline has
    /// passed (on `CLOCK_MONOTONIC`): never early with 0 events, however
    /// many signals arrive. With [`Deadline::NEVER`] it returns only with
    /// events.
    ///
    /// # Errors
    ///
    /// As [`wait`](Epoll::wait), except `EINTR`, which is retried.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{Deadline, Epoll, Events, Timeout};
    /// # fn main() -> rawepoll::Result<()> {
    /// let epoll = Epoll::new()?;
    /// let mut events = Events::<8>::new();
    /// let deadline = Deadline::after(Timeout::from_millis(20));
    /// assert_eq!(epoll.wait_deadline(&mut events, deadline)?, 0);
    /// assert!(deadline.has_passed());
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn wait_deadline<const N: usize>(
        &self,
        events: &mut Events<N>,
        deadline: Deadline,
    ) -> Result<usize> {
        loop {
            match self.wait(events, deadline.remaining()) {
                Ok(0) if !deadline.has_passed() => {}
                Err(Errno::INTR) => {}
                other => return other,
            }
        }
    }

    /// [`wait_deadline`](Epoll::wait_deadline) with the deadline `timeout`
    /// from now: a `wait` that `EINTR` neither cuts short nor prolongs.
    ///
    /// # Errors
    ///
    /// As [`wait`](Epoll::wait), except `EINTR`, which is retried.
    #[inline]
    pub fn wait_uninterrupted<const N: usize>(
        &self,
        events: &mut Events<N>,
        timeout: Timeout,
    ) -> Result<usize> {
        self.wait_deadline(events, Deadline::after(timeout))
    }

    /// `ioctl(epfd, EPIOCSPARAMS, &params)`—Sets this instance's busy-poll
    /// parameters (Linux 6.9): busy-poll network sockets for up to
    /// `usecs` µs, `budget` packets at a time, before sleeping.
    ///
    /// # Errors
    ///
    /// * `ENOTTY`: the kernel is older than 6.9.
    /// * `EPERM`: `budget` over 64 (`NAPI_POLL_WEIGHT`) without
    ///   `CAP_NET_ADMIN`.
    /// * `EINVAL`: `usecs` over `i32::MAX`, or `prefer` other than 0/1.
    /// * `EOPNOTSUPP`: the kernel was built without
    ///   `CONFIG_NET_RX_BUSY_POLL`.
    ///
    /// # References
    ///  - [ioctl_eventpoll(2)](https://man7.org/linux/man-pages/man2/ioctl_eventpoll.2.html)
    #[inline]
    #[doc(alias = "EPIOCSPARAMS")]
    pub fn set_busy_poll(&self, params: BusyPoll) -> Result<()> {
        sys::set_epoll_params(
            &self.fd,
            sys::EpollParams {
                busy_poll_usecs: params.usecs,
                busy_poll_budget: params.budget,
                prefer_busy_poll: u8::from(params.prefer),
                __pad: 0,
            },
        )
    }

    /// `ioctl(epfd, EPIOCGPARAMS, &params)`—This instance's busy-poll
    /// parameters (Linux 6.9).
    ///
    /// # Errors
    ///
    /// * `ENOTTY`: the kernel is older than 6.9.
    /// * `EOPNOTSUPP`: the kernel was built without
    ///   `CONFIG_NET_RX_BUSY_POLL`.
    ///
    /// # References
    ///  - [ioctl_eventpoll(2)](https://man7.org/linux/man-pages/man2/ioctl_eventpoll.2.html)
    #[inline]
    #[doc(alias = "EPIOCGPARAMS")]
    pub fn busy_poll(&self) -> Result<BusyPoll> {
        let p = sys::epoll_params(&self.fd)?;
        Ok(BusyPoll {
            usecs: p.busy_poll_usecs,
            budget: p.busy_poll_budget,
            prefer: p.prefer_busy_poll != 0,
        })
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
    /// # Example
    ///
    /// ```
    /// let epoll = rawepoll::Epoll::new()?;
    /// epoll.close()?; // close(2)'s error, if any, is reported here
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [close(2)](https://man7.org/linux/man-pages/man2/close.2.html)
    #[inline]
    pub fn close(self) -> Result<()> {
        sys::close(self.fd)
    }
}

static_assertions::assert_impl_all!(Epoll: Send, Sync, fmt::Debug, AsFd, AsRawFd);

/// Busy-poll parameters of an epoll instance (the kernel's `struct
/// epoll_params`), for [`Epoll::set_busy_poll`] and [`Epoll::busy_poll`].
///
/// # Example
///
/// ```
/// use rawepoll::{Epoll, Errno};
/// use rawepoll::epoll::BusyPoll;
/// # fn main() -> rawepoll::Result<()> {
/// let epoll = Epoll::new()?;
/// let params = BusyPoll { usecs: 50, budget: 8, prefer: false };
/// match epoll.set_busy_poll(params) {
///     Ok(()) => assert_eq!(epoll.busy_poll()?, params),
///     // Before Linux 6.9, or without CONFIG_NET_RX_BUSY_POLL.
///     Err(Errno::NOTTY | Errno::OPNOTSUPP) => {}
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BusyPoll {
    /// How long to busy-poll before sleeping, in µs (0 turns it off).
    pub usecs: u32,
    /// Packets per poll; over 64 needs `CAP_NET_ADMIN`.
    pub budget: u16,
    /// Prefer busy polling over interrupt-driven softirq processing.
    pub prefer: bool,
}

/// Stops rawepoll from calling `epoll_pwait2`, process-wide: from now on a
/// sub-millisecond timeout is rounded up to whole milliseconds and waited
/// with `epoll_pwait`, as if the kernel had answered `ENOSYS`.
///
/// For sandboxes whose seccomp filter kills the process on a system call it
/// does not know, instead of answering `ENOSYS`. Makes no system call.
///
/// ```
/// rawepoll::epoll::disable_epoll_pwait2();
/// assert_eq!(rawepoll::epoll::epoll_pwait2_available(), Some(false));
/// ```
pub fn disable_epoll_pwait2() {
    sys::disable_epoll_pwait2();
}

/// What rawepoll has learned about `epoll_pwait2`: `None` before the first
/// sub-millisecond wait, then `Some(true)` if the kernel has it,
/// `Some(false)` if it answered `ENOSYS` or `EPERM` (or [`disable_epoll_pwait2`] was
/// called). Makes no system call.
///
/// ```
/// let known: Option<bool> = rawepoll::epoll::epoll_pwait2_available();
/// # let _ = known;
/// ```
#[must_use]
pub fn epoll_pwait2_available() -> Option<bool> {
    sys::epoll_pwait2_known()
}
