//! A counter another thread (or a signal handler) can bump to wake a wait:
//! [`EventFd`].

use rustix::event::{eventfd, EventfdFlags};
use rustix::fd::OwnedFd;
use rustix::io::{self, Errno};

use crate::Result;

/// An `eventfd(2)` counter, non-blocking and close-on-exec: readable while
/// the counter is non-zero.
///
/// The usual waker: register it with [`Interest::READABLE`](crate::Interest::READABLE),
/// call [`notify`](EventFd::notify) from any thread, and
/// [`drain`](EventFd::drain) it when its event arrives. It is `Send + Sync`.
///
/// Registered with [`Interest::EDGE`](crate::Interest::EDGE) too, every
/// `notify` is a new edge and wakes a waiter even if nobody drained the
/// count: one system call fewer per wake-up, when the count does not matter.
///
/// # Example
///
/// ```
/// use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};
/// use std::sync::Arc;
/// # fn main() -> rawepoll::Result<()> {
/// let epoll = Epoll::new()?;
/// let waker = Arc::new(EventFd::new()?);
/// epoll.add(&*waker, Token(0), Interest::READABLE)?;
///
/// let remote = Arc::clone(&waker);
/// std::thread::spawn(move || remote.notify().unwrap());
///
/// let mut events = Events::<1>::new();
/// assert_eq!(epoll.wait(&mut events, Timeout::NEVER)?, 1);
/// assert_eq!(waker.drain()?, 1);
/// assert_eq!(waker.drain()?, 0);
/// # Ok(()) }
/// ```
///
/// # References
///  - [eventfd(2)](https://man7.org/linux/man-pages/man2/eventfd.2.html)
pub struct EventFd {
    fd: OwnedFd,
}

owned_fd_traits!(
    EventFd,
    "Takes ownership of an eventfd made elsewhere (inherited, or received \
     over a socket). It is not checked; made without `EFD_NONBLOCK`, \
     `drain` blocks while the counter is 0."
);

impl EventFd {
    /// `eventfd2(0, EFD_CLOEXEC | EFD_NONBLOCK)`—Creates a counter at 0.
    ///
    /// # Errors
    ///
    /// * `EMFILE` / `ENFILE`: the per-process / system-wide fd limit is reached.
    /// * `ENOMEM`: the kernel is out of memory.
    ///
    /// # Example
    ///
    /// ```
    /// let wake = rawepoll::EventFd::new()?;
    /// assert_eq!(wake.drain()?, 0);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [eventfd(2)](https://man7.org/linux/man-pages/man2/eventfd.2.html)
    #[inline]
    #[doc(alias = "eventfd")]
    #[doc(alias = "eventfd2")]
    pub fn new() -> Result<EventFd> {
        Self::with_value(0)
    }

    /// `eventfd2(initial, EFD_CLOEXEC | EFD_NONBLOCK)`—Creates a counter at
    /// `initial`: readable at once when it is non-zero.
    ///
    /// # Errors
    ///
    /// As [`new`](EventFd::new).
    ///
    /// # Example
    ///
    /// ```
    /// let pending = rawepoll::EventFd::with_value(3)?;
    /// assert_eq!(pending.drain()?, 3);
    /// assert_eq!(pending.drain()?, 0);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [eventfd(2)](https://man7.org/linux/man-pages/man2/eventfd.2.html)
    #[inline]
    #[doc(alias = "eventfd2")]
    pub fn with_value(initial: u32) -> Result<EventFd> {
        let fd = eventfd(initial, EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK)?;
        Ok(EventFd { fd })
    }

    /// `eventfd2(initial, EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK)`—Creates
    /// a counting semaphore at `initial`: each [`drain`](EventFd::drain)
    /// takes exactly 1 (and returns 1) while the count is non-zero, and the
    /// fd stays readable until the count is 0. [`notify`](EventFd::notify)
    /// gives 1 back.
    ///
    /// # Errors
    ///
    /// As [`new`](EventFd::new).
    ///
    /// # Example
    ///
    /// ```
    /// let permits = rawepoll::EventFd::semaphore(2)?;
    /// assert_eq!(permits.drain()?, 1);
    /// assert_eq!(permits.drain()?, 1);
    /// assert_eq!(permits.drain()?, 0); // none left: EAGAIN, reported as 0
    /// permits.notify()?;
    /// assert_eq!(permits.drain()?, 1);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [eventfd(2)](https://man7.org/linux/man-pages/man2/eventfd.2.html)
    #[inline]
    #[doc(alias = "EFD_SEMAPHORE")]
    pub fn semaphore(initial: u32) -> Result<EventFd> {
        let flags = EventfdFlags::CLOEXEC | EventfdFlags::NONBLOCK | EventfdFlags::SEMAPHORE;
        Ok(EventFd {
            fd: eventfd(initial, flags)?,
        })
    }

    /// `write(fd, &1u64, 8)`—Adds 1 to the counter, making the fd readable.
    ///
    /// A counter already at its maximum (`u64::MAX - 1`) is still readable, so
    /// the `EAGAIN` the kernel answers then is not an error for a waker and
    /// is reported as `Ok(())`.
    ///
    /// # Errors
    ///
    /// None in practice: only errors `write(2)` reports for a valid eventfd.
    ///
    /// # Example
    ///
    /// ```
    /// let wake = rawepoll::EventFd::new()?;
    /// wake.notify()?;
    /// wake.notify()?;
    /// assert_eq!(wake.drain()?, 2);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [eventfd(2)](https://man7.org/linux/man-pages/man2/eventfd.2.html)
    #[inline]
    pub fn notify(&self) -> Result<()> {
        match io::write(&self.fd, &1u64.to_ne_bytes()) {
            Ok(_) | Err(Errno::AGAIN) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// `read(fd, &mut u64, 8)`—Reads the counter and resets it to 0; returns
    /// 0 when nothing was pending (the kernel's `EAGAIN`). On a
    /// [`semaphore`](EventFd::semaphore), takes and returns 1 instead.
    ///
    /// # Errors
    ///
    /// None in practice: only errors `read(2)` reports for a valid eventfd.
    ///
    /// # Example
    ///
    /// ```
    /// let wake = rawepoll::EventFd::new()?;
    /// assert_eq!(wake.drain()?, 0); // nothing pending: not an error
    /// wake.notify()?;
    /// assert_eq!(wake.drain()?, 1);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [eventfd(2)](https://man7.org/linux/man-pages/man2/eventfd.2.html)
    #[inline]
    pub fn drain(&self) -> Result<u64> {
        super::read_counter(&self.fd)
    }
}

static_assertions::assert_impl_all!(EventFd: Send, Sync);
