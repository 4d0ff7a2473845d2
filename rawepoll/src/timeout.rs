//! How long [`Epoll::wait`](crate::Epoll::wait) may block: [`Timeout`].

use core::fmt;
use core::hash::{Hash, Hasher};
use core::time::Duration;

use rustix::event::Timespec;

/// How long a wait may block: forever, not at all, or a duration.
///
/// A `Timeout` keeps the exact duration it was made from, down to the
/// nanosecond. `epoll_wait(2)` counts in whole milliseconds, so the wait
/// rounds a sub-millisecond part *up*: a non-zero duration never becomes a
/// zero timeout that would spin.
///
/// The longest finite timeout the kernel's millisecond interface takes is
/// [`Timeout::MAX`] (`i32::MAX` ms, about 24.8 days). Longer values are
/// clamped to it, not wrapped: a wait on such a timeout may return 0 events
/// after 24.8 days, so loop on it, or use [`Timeout::NEVER`].
///
/// # Example
///
/// ```
/// use core::time::Duration;
/// use rawepoll::Timeout;
///
/// assert_eq!(Timeout::NEVER.as_millis(), -1);
/// assert_eq!(Timeout::ZERO.as_millis(), 0);
/// assert_eq!(Timeout::from_millis(250).as_millis(), 250);
/// // Rounds up: 1 ns still blocks for (at least) 1 ms.
/// assert_eq!(Timeout::from(Duration::from_nanos(1)).as_millis(), 1);
/// assert_eq!(Timeout::from(None::<Duration>), Timeout::NEVER);
/// // Clamped, never overflowing.
/// assert_eq!(Timeout::from(Duration::MAX), Timeout::MAX);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Timeout {
    /// `None` is forever; the value is at most `MAX_TS`.
    ts: Option<Timespec>,
}

const MAX_MS: i32 = i32::MAX;
const MAX_SECS: u64 = (MAX_MS / 1000) as u64;
const MAX_SUBSEC_NANOS: u32 = ((MAX_MS % 1000) * 1_000_000) as u32;
const MAX_TS: Timespec = Timespec {
    tv_sec: MAX_SECS as _,
    tv_nsec: MAX_SUBSEC_NANOS as _,
};

impl Timeout {
    /// Block until an event arrives (`-1`).
    pub const NEVER: Timeout = Timeout { ts: None };

    /// Do not block: report what is ready now (`0`).
    pub const ZERO: Timeout = Timeout {
        ts: Some(Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        }),
    };

    /// The longest finite timeout: `i32::MAX` milliseconds (about 24.8 days).
    pub const MAX: Timeout = Timeout { ts: Some(MAX_TS) };

    /// A timeout of `ms` milliseconds, clamped to [`Timeout::MAX`].
    #[inline]
    #[must_use]
    pub const fn from_millis(ms: u32) -> Self {
        let ms = if ms > MAX_MS as u32 {
            MAX_MS as u32
        } else {
            ms
        };
        Timeout {
            ts: Some(Timespec {
                tv_sec: (ms / 1000) as _,
                tv_nsec: ((ms % 1000) * 1_000_000) as _,
            }),
        }
    }

    /// A timeout of `duration`, clamped to [`Timeout::MAX`]; the wait rounds
    /// a sub-millisecond part up. The same as `Timeout::from(duration)`.
    #[inline]
    #[must_use]
    pub const fn from_duration(duration: Duration) -> Self {
        let secs = duration.as_secs();
        let nanos = duration.subsec_nanos();
        if secs > MAX_SECS || (secs == MAX_SECS && nanos > MAX_SUBSEC_NANOS) {
            return Self::MAX;
        }
        Timeout {
            ts: Some(Timespec {
                tv_sec: secs as _,
                tv_nsec: nanos as _,
            }),
        }
    }

    /// Whether this is [`Timeout::NEVER`].
    #[inline]
    #[must_use]
    pub const fn is_never(&self) -> bool {
        self.ts.is_none()
    }

    /// The exact duration, or `None` for [`Timeout::NEVER`].
    #[inline]
    #[must_use]
    pub const fn as_duration(&self) -> Option<Duration> {
        match self.ts {
            None => None,
            Some(ts) => Some(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)),
        }
    }

    /// The `timeout` argument `epoll_wait(2)` gets: `-1` for
    /// [`NEVER`](Timeout::NEVER), otherwise the duration in milliseconds,
    /// rounded up.
    #[inline]
    #[must_use]
    pub const fn as_millis(&self) -> i32 {
        match self.ts {
            None => -1,
            // Cannot overflow: `ts` is at most MAX_TS, which is whole ms.
            Some(ts) => (ts.tv_sec as i32) * 1000 + ((ts.tv_nsec as i32) + 999_999) / 1_000_000,
        }
    }

    /// The exact timespec, for `epoll_pwait2` (`None`: block).
    #[inline]
    pub(crate) fn as_timespec(&self) -> Option<&Timespec> {
        self.ts.as_ref()
    }

    /// Whether the duration has a part finer than a millisecond, which only
    /// `epoll_pwait2` can honour.
    #[inline]
    pub(crate) fn has_sub_millis(&self) -> bool {
        match self.ts {
            None => false,
            Some(ts) => ts.tv_nsec % 1_000_000 != 0,
        }
    }
}

/// A fixed point in time on `CLOCK_MONOTONIC`, for waits that must keep
/// their deadline across interruptions: see
/// [`Epoll::wait_deadline`](crate::Epoll::wait_deadline).
///
/// # Example
///
/// ```
/// use core::time::Duration;
/// use rawepoll::{Deadline, Timeout};
///
/// let deadline = Deadline::after(Timeout::from_millis(50));
/// let left = deadline.remaining();
/// assert!(left.as_duration().unwrap() <= Duration::from_millis(50));
/// assert!(!deadline.has_passed());
/// assert!(Deadline::after(Timeout::ZERO).has_passed());
/// assert_eq!(Deadline::NEVER.remaining(), Timeout::NEVER);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Deadline {
    /// Monotonic (seconds, nanoseconds); `None` is never.
    at: Option<(i64, u32)>,
}

#[inline]
fn now() -> (i64, u32) {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (t.tv_sec, t.tv_nsec as u32)
}

impl Deadline {
    /// A deadline that never comes: waits on it block until an event.
    pub const NEVER: Deadline = Deadline { at: None };

    /// `clock_gettime(CLOCK_MONOTONIC)` plus `timeout`: the deadline that
    /// far from now ([`NEVER`](Deadline::NEVER) for [`Timeout::NEVER`]).
    #[inline]
    #[must_use]
    #[doc(alias = "clock_gettime")]
    pub fn after(timeout: Timeout) -> Self {
        match timeout.as_duration() {
            None => Self::NEVER,
            Some(d) => {
                let (s, ns) = now();
                let mut sec = s.saturating_add(d.as_secs() as i64);
                let mut nsec = ns + d.subsec_nanos();
                if nsec >= 1_000_000_000 {
                    nsec -= 1_000_000_000;
                    sec = sec.saturating_add(1);
                }
                Deadline {
                    at: Some((sec, nsec)),
                }
            }
        }
    }

    /// The time left, read from `CLOCK_MONOTONIC` now: [`Timeout::ZERO`]
    /// once the deadline has passed, [`Timeout::NEVER`] for
    /// [`Deadline::NEVER`].
    #[inline]
    #[must_use]
    pub fn remaining(&self) -> Timeout {
        let Some((sec, nsec)) = self.at else {
            return Timeout::NEVER;
        };
        let (s, ns) = now();
        let left =
            (i128::from(sec) - i128::from(s)) * 1_000_000_000 + i128::from(nsec) - i128::from(ns);
        if left <= 0 {
            return Timeout::ZERO;
        }
        // At most Timeout::MAX plus clock granularity; clamped anyway.
        Timeout::from_duration(Duration::from_nanos(
            u64::try_from(left).unwrap_or(u64::MAX),
        ))
    }

    /// Whether the deadline has passed (never for [`Deadline::NEVER`]).
    #[inline]
    #[must_use]
    pub fn has_passed(&self) -> bool {
        match self.at {
            None => false,
            Some(at) => now() >= at,
        }
    }
}
impl From<Duration> for Timeout {
    #[inline]
    fn from(duration: Duration) -> Self {
        Self::from_duration(duration)
    }
}

impl From<Option<Duration>> for Timeout {
    /// `None` is [`Timeout::NEVER`].
    #[inline]
    fn from(duration: Option<Duration>) -> Self {
        match duration {
            None => Self::NEVER,
            Some(d) => Self::from_duration(d),
        }
    }
}

impl Default for Timeout {
    /// [`Timeout::NEVER`], as `epoll_wait` with `-1`.
    #[inline]
    fn default() -> Self {
        Self::NEVER
    }
}

impl Hash for Timeout {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.ts.map(|ts| (ts.tv_sec, ts.tv_nsec)).hash(state);
    }
}

impl fmt::Debug for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_duration() {
            None => f.write_str("Timeout::NEVER"),
            Some(d) => write!(f, "Timeout({d:?})"),
        }
    }
}
