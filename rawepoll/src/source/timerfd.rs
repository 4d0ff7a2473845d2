//! A timer as a readable file descriptor: [`TimerFd`], on any [`Clock`].

use core::time::Duration;

use rustix::fd::OwnedFd;
use rustix::io::Errno;
use rustix::time::{
    clock_gettime, timerfd_create, timerfd_gettime, timerfd_settime, ClockId, Itimerspec,
    TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec,
};

use crate::Result;

/// The clock a [`TimerFd`] counts on (`timerfd_create`'s `clockid`).
///
/// # Example
///
/// ```
/// use rawepoll::{Clock, TimerFd};
/// # fn main() -> rawepoll::Result<()> {
/// // A timer that keeps counting while a battery-powered board sleeps.
/// let timer = TimerFd::with_clock(Clock::Boottime)?;
/// timer.set_after(core::time::Duration::from_secs(60))?;
/// // Boot time counts suspend too: never behind the monotonic clock.
/// let monotonic = Clock::Monotonic.now();
/// assert!(Clock::Boottime.now() >= monotonic);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[doc(alias = "clockid_t")]
pub enum Clock {
    /// `CLOCK_MONOTONIC`: never jumps, stops while the system is suspended.
    /// The default.
    Monotonic,
    /// `CLOCK_BOOTTIME`: like `Monotonic`, but keeps counting across
    /// suspend.
    Boottime,
    /// `CLOCK_REALTIME`: the wall clock, which `settimeofday`, NTP steps and
    /// the administrator can set. See [`TimerFd::set_at_cancel_on_set`].
    Realtime,
    /// `CLOCK_REALTIME_ALARM`: `Realtime` that also wakes the system from
    /// suspend. Creating one needs `CAP_WAKE_ALARM`, else `EPERM`.
    RealtimeAlarm,
    /// `CLOCK_BOOTTIME_ALARM`: `Boottime` that also wakes the system from
    /// suspend. Creating one needs `CAP_WAKE_ALARM`, else `EPERM`.
    BoottimeAlarm,
}

impl Clock {
    /// `clock_gettime(clock)`—The clock's reading now, from its epoch (boot
    /// for the monotonic and boot-time clocks, 1970 for the real-time
    /// ones; 0 for a wall clock set before 1970). The expiry that
    /// [`TimerFd::set_at`] takes is on this scale.
    ///
    /// No system call where the vDSO has the clock.
    ///
    /// # References
    ///  - [clock_gettime(2)](https://man7.org/linux/man-pages/man2/clock_gettime.2.html)
    #[inline]
    #[must_use]
    #[doc(alias = "clock_gettime")]
    pub fn now(self) -> Duration {
        // An alarm clock reads the same as its base clock, which always
        // exists; reading the alarm clock itself answers EINVAL where there
        // is no RTC device (as in many VMs).
        let id = match self {
            Clock::Monotonic => ClockId::Monotonic,
            Clock::Boottime | Clock::BoottimeAlarm => ClockId::Boottime,
            Clock::Realtime | Clock::RealtimeAlarm => ClockId::Realtime,
        };
        duration(clock_gettime(id)).unwrap_or(Duration::ZERO)
    }

    #[inline]
    fn timerfd_id(self) -> TimerfdClockId {
        match self {
            Clock::Monotonic => TimerfdClockId::Monotonic,
            Clock::Boottime => TimerfdClockId::Boottime,
            Clock::Realtime => TimerfdClockId::Realtime,
            Clock::RealtimeAlarm => TimerfdClockId::RealtimeAlarm,
            Clock::BoottimeAlarm => TimerfdClockId::BoottimeAlarm,
        }
    }
}

/// A `timerfd(2)`, non-blocking and close-on-exec: readable once the timer
/// has expired, until its expirations are read. On `CLOCK_MONOTONIC` unless
/// made [`with_clock`](TimerFd::with_clock).
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

owned_fd_traits!(
    TimerFd,
    "Takes ownership of a timerfd made elsewhere (inherited, or received \
     over a socket). It is not checked; made without `TFD_NONBLOCK`, \
     `read_expirations` blocks until the next expiry."
);

/// A kernel `timespec` as a `Duration`; `None` when it is negative.
#[inline]
fn duration(t: Timespec) -> Option<Duration> {
    let secs = u64::try_from(t.tv_sec).ok()?;
    Some(Duration::new(secs, t.tv_nsec as u32))
}

/// A `timespec` value that the kernel treats as "zero: disarmed", or
/// `None`.
#[inline]
fn armed(t: Timespec) -> Option<Duration> {
    if t.tv_sec == 0 && t.tv_nsec == 0 {
        None
    } else {
        duration(t)
    }
}

/// A zero expiry would disarm: 1 ns expires at once instead.
#[inline]
fn nonzero(d: Duration) -> Duration {
    if d.is_zero() {
        Duration::from_nanos(1)
    } else {
        d
    }
}

#[inline]
fn timespec(d: Duration) -> Timespec {
    Timespec {
        // Saturates only past 292 billion years.
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX) as _,
        tv_nsec: d.subsec_nanos().into(),
    }
}

impl TimerFd {
    /// `timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)`—Creates
    /// a disarmed timer on the monotonic clock.
    ///
    /// # Errors
    ///
    /// * `EMFILE` / `ENFILE`: the per-process / system-wide fd limit is reached.
    /// * `ENOMEM`, `ENODEV`: the kernel could not create it.
    ///
    /// # Example
    ///
    /// ```
    /// let timer = rawepoll::TimerFd::new()?;
    /// assert_eq!(timer.time_left()?, None); // created disarmed
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_create(2)](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
    #[inline]
    #[doc(alias = "timerfd_create")]
    pub fn new() -> Result<TimerFd> {
        Self::with_clock(Clock::Monotonic)
    }

    /// `timerfd_create(clock, TFD_CLOEXEC | TFD_NONBLOCK)`—Creates a
    /// disarmed timer on `clock`.
    ///
    /// # Errors
    ///
    /// * `EPERM`: an alarm clock ([`Clock::RealtimeAlarm`],
    ///   [`Clock::BoottimeAlarm`]) without `CAP_WAKE_ALARM`.
    /// * `EMFILE` / `ENFILE`: the per-process / system-wide fd limit is reached.
    /// * `ENOMEM`, `ENODEV`: the kernel could not create it.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{Clock, Errno, TimerFd};
    /// match TimerFd::with_clock(Clock::BoottimeAlarm) {
    ///     Ok(timer) => timer.set_after(core::time::Duration::from_secs(3600))?,
    ///     Err(Errno::PERM) => {} // no CAP_WAKE_ALARM
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_create(2)](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
    #[inline]
    #[doc(alias = "timerfd_create")]
    pub fn with_clock(clock: Clock) -> Result<TimerFd> {
        let fd = timerfd_create(
            clock.timerfd_id(),
            TimerfdFlags::CLOEXEC | TimerfdFlags::NONBLOCK,
        )?;
        Ok(TimerFd { fd })
    }

    #[inline]
    fn settime(&self, flags: TimerfdTimerFlags, value: Duration, interval: Duration) -> Result<()> {
        let spec = Itimerspec {
            it_interval: timespec(interval),
            it_value: timespec(value),
        };
        timerfd_settime(&self.fd, flags, &spec).map(drop)
    }

    /// `timerfd_settime(fd, 0, {value: initial, interval})`—Arms the timer
    /// to expire `initial` from now, then every `interval` (zero: once),
    /// in one call. A zero `initial` expires at once (1 ns), never disarms.
    ///
    /// # Errors
    ///
    /// * `EINVAL`: a duration out of the kernel's range.
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// let timer = rawepoll::TimerFd::new()?;
    /// // First in 10 ms, then every second.
    /// timer.set(Duration::from_millis(10), Duration::from_secs(1))?;
    /// assert_eq!(timer.interval()?, Some(Duration::from_secs(1)));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_settime(2)](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[inline]
    #[doc(alias = "timerfd_settime")]
    pub fn set(&self, initial: Duration, interval: Duration) -> Result<()> {
        self.settime(TimerfdTimerFlags::empty(), nonzero(initial), interval)
    }

    /// `timerfd_settime(fd, TFD_TIMER_ABSTIME, {value: expiry, interval})`—Arms
    /// the timer to expire when its clock reads `expiry` (on the scale of
    /// [`Clock::now`]), then every `interval` (zero: once). An expiry
    /// already past fires at once.
    ///
    /// # Errors
    ///
    /// * `EINVAL`: a duration out of the kernel's range.
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// use rawepoll::{Clock, TimerFd};
    /// let timer = TimerFd::new()?;
    /// // A fixed point in time, immune to how late this line runs.
    /// let at = Clock::Monotonic.now() + Duration::from_secs(5);
    /// timer.set_at(at, Duration::ZERO)?;
    /// assert!(timer.time_left()?.unwrap() <= Duration::from_secs(5));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_settime(2)](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[inline]
    #[doc(alias = "TFD_TIMER_ABSTIME")]
    pub fn set_at(&self, expiry: Duration, interval: Duration) -> Result<()> {
        self.settime(TimerfdTimerFlags::ABSTIME, nonzero(expiry), interval)
    }

    /// `timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
    /// {expiry, interval})`—As [`set_at`](TimerFd::set_at), and on a
    /// [`Clock::Realtime`] or [`Clock::RealtimeAlarm`] timer, the timer is
    /// cancelled when the wall clock is *set* (not when it is slewed): the
    /// fd becomes readable and [`read_expirations`](TimerFd::read_expirations)
    /// answers `ECANCELED`, so a program that fires at 03:00 wall-clock time
    /// learns that "03:00" moved and can re-arm. On other clocks the flag
    /// has no effect.
    ///
    /// # Errors
    ///
    /// * `ECANCELED`: the wall clock was set between the expiry passed and
    ///   the call (arm again).
    /// * `EINVAL`: a duration out of the kernel's range.
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// use rawepoll::{Clock, TimerFd};
    /// let timer = TimerFd::with_clock(Clock::Realtime)?;
    /// let in_an_hour = Clock::Realtime.now() + Duration::from_secs(3600);
    /// timer.set_at_cancel_on_set(in_an_hour, Duration::ZERO)?;
    /// // Later: read_expirations() answers Err(ECANCELED) if the clock was set.
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_settime(2)](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[inline]
    #[doc(alias = "TFD_TIMER_CANCEL_ON_SET")]
    pub fn set_at_cancel_on_set(&self, expiry: Duration, interval: Duration) -> Result<()> {
        let flags = TimerfdTimerFlags::ABSTIME | TimerfdTimerFlags::CANCEL_ON_SET;
        self.settime(flags, nonzero(expiry), interval)
    }

    /// `timerfd_gettime(fd)`—The time until the next expiry, or `None` when
    /// the timer is disarmed (or was one-shot and has fired).
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// let timer = rawepoll::TimerFd::new()?;
    /// assert_eq!(timer.time_left()?, None);
    /// timer.set_after(Duration::from_secs(10))?;
    /// let left = timer.time_left()?.unwrap();
    /// assert!(left > Duration::from_secs(9) && left <= Duration::from_secs(10));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_gettime(2)](https://man7.org/linux/man-pages/man2/timerfd_gettime.2.html)
    #[inline]
    #[doc(alias = "timerfd_gettime")]
    pub fn time_left(&self) -> Result<Option<Duration>> {
        Ok(armed(timerfd_gettime(&self.fd)?.it_value))
    }

    /// `timerfd_gettime(fd)`—The period of a periodic timer, `None` for a
    /// one-shot or disarmed one.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// let timer = rawepoll::TimerFd::new()?;
    /// timer.set_periodic(Duration::from_millis(250))?;
    /// assert_eq!(timer.interval()?, Some(Duration::from_millis(250)));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_gettime(2)](https://man7.org/linux/man-pages/man2/timerfd_gettime.2.html)
    #[inline]
    #[doc(alias = "timerfd_gettime")]
    pub fn interval(&self) -> Result<Option<Duration>> {
        Ok(armed(timerfd_gettime(&self.fd)?.it_interval))
    }

    /// `timerfd_settime(fd, 0, {value: after, interval: 0})`—Arms a one-shot
    /// timer that expires `after` from now, replacing any earlier setting.
    /// Zero expires at once (1 ns), never disarms.
    ///
    /// # Errors
    ///
    /// * `EINVAL`: the duration is out of the kernel's range.
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// let timer = rawepoll::TimerFd::new()?;
    /// timer.set_after(Duration::from_millis(1))?;
    /// std::thread::sleep(Duration::from_millis(5));
    /// assert_eq!(timer.read_expirations()?, 1);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_settime(2)](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[inline]
    #[doc(alias = "timerfd_settime")]
    pub fn set_after(&self, after: Duration) -> Result<()> {
        self.set(after, Duration::ZERO)
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
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// let timer = rawepoll::TimerFd::new()?;
    /// timer.set_periodic(Duration::from_millis(1))?;
    /// std::thread::sleep(Duration::from_millis(10));
    /// assert!(timer.read_expirations()? >= 5); // missed periods are counted
    /// assert_eq!(timer.set_periodic(Duration::ZERO), Err(rawepoll::Errno::INVAL));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_settime(2)](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[inline]
    #[doc(alias = "timerfd_settime")]
    pub fn set_periodic(&self, period: Duration) -> Result<()> {
        if period.is_zero() {
            return Err(Errno::INVAL);
        }
        self.settime(TimerfdTimerFlags::empty(), period, period)
    }

    /// `timerfd_settime(fd, 0, {0, 0})`—Stops the timer. Expirations not yet
    /// read are dropped.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// let timer = rawepoll::TimerFd::new()?;
    /// timer.set_after(Duration::from_secs(60))?;
    /// timer.disarm()?;
    /// assert_eq!(timer.time_left()?, None);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_settime(2)](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[inline]
    #[doc(alias = "timerfd_settime")]
    pub fn disarm(&self) -> Result<()> {
        self.settime(TimerfdTimerFlags::empty(), Duration::ZERO, Duration::ZERO)
    }

    /// `read(fd, &mut u64, 8)`—How many times the timer expired since it was
    /// set or last read (0 when none: the kernel's `EAGAIN`); resets the
    /// count.
    ///
    /// # Errors
    ///
    /// * `ECANCELED`: a real-time timer armed with
    ///   [`set_at_cancel_on_set`](TimerFd::set_at_cancel_on_set) whose clock
    ///   was set; arm it again.
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// let timer = rawepoll::TimerFd::new()?;
    /// assert_eq!(timer.read_expirations()?, 0); // not expired: not an error
    /// timer.set_after(Duration::ZERO)?; // expires at once
    /// std::thread::sleep(Duration::from_millis(1));
    /// assert_eq!(timer.read_expirations()?, 1);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [timerfd_create(2)](https://man7.org/linux/man-pages/man2/timerfd_create.2.html)
    #[inline]
    pub fn read_expirations(&self) -> Result<u64> {
        super::read_counter(&self.fd)
    }
}
