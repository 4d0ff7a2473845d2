//! What rawepoll has learned about the running kernel, process-wide: one
//! [`Probe`] per optional feature (`epoll_pwait2`, `PIDFD_NONBLOCK`), set by
//! the first call that finds out and read by every later one.

use core::sync::atomic::{AtomicU8, Ordering};

const UNKNOWN: u8 = 0;
const AVAILABLE: u8 = 1;
const UNAVAILABLE: u8 = 2;

/// Unknown until a call finds out; then available, or unavailable for good.
pub(crate) struct Probe(AtomicU8);

impl Probe {
    pub(crate) const fn new() -> Self {
        Probe(AtomicU8::new(UNKNOWN))
    }

    /// Not known to be missing: worth a try.
    #[inline]
    pub(crate) fn worth_trying(&self) -> bool {
        self.0.load(Ordering::Relaxed) != UNAVAILABLE
    }

    /// A call succeeded with the feature. Only an unknown state becomes
    /// available: a disable stays in force.
    #[inline]
    pub(crate) fn available(&self) {
        // Called after every successful call: a plain load first, so that
        // once the answer is known no atomic read-modify-write (a locked
        // instruction on a shared cache line) is paid per call.
        if self.0.load(Ordering::Relaxed) == UNKNOWN {
            let _ =
                self.0
                    .compare_exchange(UNKNOWN, AVAILABLE, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// The kernel (or a sandbox, or the user) said no: never try again.
    #[inline]
    pub(crate) fn unavailable(&self) {
        self.0.store(UNAVAILABLE, Ordering::Relaxed);
    }

    /// `None` until found out.
    #[inline]
    pub(crate) fn known(&self) -> Option<bool> {
        match self.0.load(Ordering::Relaxed) {
            AVAILABLE => Some(true),
            UNAVAILABLE => Some(false),
            _ => None,
        }
    }
}
