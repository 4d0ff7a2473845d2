//! A monotonic timer as a readable file descriptor: [`TimerFd`].

use core::time::Duration;

use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::time::{
    timerfd_create, timerfd_settime, Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags,
    Timespec,
};

use crate::Result;

/// A `timerfd(2)` on `CLOCK_MONOTONIC`, non-blocking and close-on-exec:
/// readable once the timer has expired, until its expirations are read.
///
/// A zero duration never disarms it silently (as `timerfd_settime` with a
/// zero value would): [`set_after`](TimerFd::set_after) with zero expires at
/// once, and [`set_periodic`](TimerFd::set_periodic) with zero is an
/// `EINVAL` error. Use [`disarm`](TimerFd::disarm) to stop it.
///
/// # Example
///
/// ```
/// use core::time::Duration;
/// use rawepoll::{Epoll, Events, Interest, Timeout, TimerFd, Token};
/// # fn main() -> rawepoll::Result<()> {
/// let epoll = Epoll::new()?;
/// let timer = TimerFd::new()?;
/// epoll.add(&timer, Token(1), Interest::READABLE)?;
/// timer.set_periodic(Duration::from_millis(5))?;
///
/// let mut events = Events::<1>::new();
/// assert_eq!(epoll.wait(&mut events, Timeout::NEVER)?, 1);
/// assert!(timer.read_expirations()? >= 1);
/// timer.disarm()?;
/// # Ok(()) }
/// ```
///
/// # References
///  - [timerfd_create(2)](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
pub struct TimerFd {
    fd: OwnedFd,
}

owned_fd_traits!(TimerFd);

#[inline]
fn timespec(d: Duration) -> Timespec {
    Timespec {
        // Saturates only past 292 billion years.
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX) as _,
        tv_nsec: d.subsec_nanos() as _,
    }
}

const ZERO: Timespec = Timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

impl TimerFd {
    /// `timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)`—Creates
    /// a disarmed timer.
    ///
    /// # Errors
    ///
    /// * `EMFILE` / `ENFILE`: the per-process / system-wide fd limit is reached.
    /// * `ENOMEM`, `ENODEV`: the kernel could not create it.
    ///
    /// # References
    ///  - [timerfd_create(2)](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
    #[inline]
    #[doc(alias = "timerfd_create")]
    pub fn new() -> Result<TimerFd> {
        let fd = timerfd_create(
            TimerfdClockId::Monotonic,
            TimerfdFlags::CLOEXEC | TimerfdFlags::NONBLOCK,
        )?;
        Ok(TimerFd { fd })
    }

    #[inline]
    fn settime(&self, value: Timespec, interval: Timespec) -> Result<()> {
        let spec = Itimerspec {
            it_interval: interval,
            it_value: value,
        };
        timerfd_settime(&self.fd, TimerfdTimerFlags::empty(), &spec).map(drop)
    }

    /// `timerfd_settime(fd, 0, {value: after, interval: 0})`—Arms a one-shot
    /// timer that expires `after` from now, replacing any earlier setting.
    /// Zero expires at once (1 ns), never disarms.
    ///
    /// # Errors
    ///
    /// * `EINVAL`: the duration is out of the kernel's range.
    ///
    /// # References
    ///  - [timerfd_settime(2)](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[inline]
    #[doc(alias = "timerfd_settime")]
    pub fn set_after(&self, after: Duration) -> Result<()> {
        let after = if after.is_zero() {
            Duration::from_nanos(1)
        } else {
            after
        };
        self.settime(timespec(after), ZERO)
    }

    /// `timerfd_settime(fd, 0, {value: period, interval: period})`—Arms a
    /// periodic timer: first expiry one `period` from now, then every
    /// `period`. Expirations missed while nobody read are counted, not lost.
    ///
    /// # Errors
    ///
    /// * `EINVAL`: `period` is zero (it would mean no timer at all, or
    ///   expirations without end), or out of the kernel's range. The timer is
    ///   unchanged.
    ///
    /// # References
    ///  - [timerfd_settime(2)](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[inline]
    #[doc(alias = "timerfd_settime")]
    pub fn set_periodic(&self, period: Duration) -> Result<()> {
        if period.is_zero() {
            return Err(Errno::INVAL);
        }
        let t = timespec(period);
        self.settime(t, t)
    }

    /// `timerfd_settime(fd, 0, {0, 0})`—Stops the timer. Expirations not yet
    /// read are dropped.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # References
    ///  - [timerfd_settime(2)](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[inline]
    #[doc(alias = "timerfd_settime")]
    pub fn disarm(&self) -> Result<()> {
        self.settime(ZERO, ZERO)
    }

    /// `read(fd, &mut u64, 8)`—How many times the timer expired since it was
    /// set or last read (0 when none: the kernel's `EAGAIN`); resets the
    /// count.
    ///
    /// # Errors
    ///
    /// * `ECANCELED`: never for this monotonic timer (only for
    ///   `CLOCK_REALTIME` with cancel-on-set).
    ///
    /// # References
    ///  - [timerfd_create(2)](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
    #[inline]
    pub fn read_expirations(&self) -> Result<u64> {
        crate::fd::read_counter(&self.fd)
    }
}
