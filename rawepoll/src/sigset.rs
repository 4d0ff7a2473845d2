//! Sets of signals ([`SigSet`]) and the calling thread's signal mask
//! ([`block_signals`], [`unblock_signals`], [`set_signal_mask`]).

use core::fmt;

use rustix::io::Errno;
use rustix::process::Signal;

use crate::sys::{self, How};
use crate::Result;

/// `_NSIG`: the number of signals the kernel knows (64; 128 on mips), from
/// the kernel's headers through linux-raw-sys.
const NSIG: usize = linux_raw_sys::general::_NSIG as usize;
const WORD_BITS: usize = usize::BITS as usize;
const WORDS: usize = NSIG / WORD_BITS;

/// A set of signals: exactly the kernel's `sigset_t` (`unsigned long
/// sig[_NSIG / BITS_PER_LONG]`), as `rt_sigprocmask(2)`, `signalfd(2)` and
/// `epoll_pwait(2)` take it. `Copy`, built in `const` context.
///
/// Named signals are rustix's [`Signal`]; real-time signals (`SIGRTMIN` is
/// 34 or 35 depending on the C library, up to `SIGRTMAX` = 64) have no named
/// constant and are given by number with [`insert_raw`](SigSet::insert_raw).
///
/// # Example
///
/// ```
/// use rawepoll::{SigSet, Signal};
///
/// const SHUTDOWN: SigSet = SigSet::empty().with(Signal::INT).with(Signal::TERM);
/// let mut set = SHUTDOWN;
/// assert!(set.contains(Signal::TERM));
/// set.remove(Signal::TERM);
/// set.insert(Signal::HUP);
/// set.insert_raw(40)?; // a real-time signal
/// assert!(set.contains_raw(40) && !set.contains(Signal::TERM));
/// assert_eq!(set.iter().collect::<Vec<i32>>(), [1, 2, 40]);
/// assert_eq!(set.insert_raw(0), Err(rawepoll::Errno::INVAL));
/// # Ok::<(), rawepoll::Errno>(())
/// ```
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SigSet {
    words: [usize; WORDS],
}

impl SigSet {
    /// The highest signal number the kernel knows (`_NSIG`): 64, or 128 on
    /// mips.
    pub const MAX_SIGNAL: i32 = NSIG as i32;

    /// The set with no signal.
    #[inline]
    #[must_use]
    pub const fn empty() -> Self {
        SigSet { words: [0; WORDS] }
    }

    /// The set of every signal, 1 to [`MAX_SIGNAL`](Self::MAX_SIGNAL). The
    /// kernel never blocks `SIGKILL` and `SIGSTOP`, whatever the mask says.
    #[inline]
    #[must_use]
    pub const fn full() -> Self {
        SigSet {
            words: [usize::MAX; WORDS],
        }
    }

    #[inline]
    const fn bit(signo: i32) -> (usize, usize) {
        let n = (signo - 1) as usize;
        (n / WORD_BITS, 1 << (n % WORD_BITS))
    }

    #[inline]
    const fn valid(signo: i32) -> bool {
        signo >= 1 && signo <= NSIG as i32
    }

    /// This set with `signal` added: for building sets in `const` items.
    #[inline]
    #[must_use]
    pub const fn with(mut self, signal: Signal) -> Self {
        let (w, b) = Self::bit(signal.as_raw());
        self.words[w] |= b;
        self
    }

    /// Adds `signal`.
    #[inline]
    pub fn insert(&mut self, signal: Signal) {
        *self = self.with(signal);
    }

    /// Removes `signal`.
    #[inline]
    pub fn remove(&mut self, signal: Signal) {
        let (w, b) = Self::bit(signal.as_raw());
        self.words[w] &= !b;
    }

    /// Whether `signal` is in the set.
    #[inline]
    #[must_use]
    pub const fn contains(&self, signal: Signal) -> bool {
        self.contains_raw(signal.as_raw())
    }

    /// Adds the signal numbered `signo` (1 to [`MAX_SIGNAL`](Self::MAX_SIGNAL)),
    /// which may be a real-time signal.
    ///
    /// # Errors
    ///
    /// `EINVAL` when `signo` is out of that range; the set is unchanged.
    #[inline]
    pub fn insert_raw(&mut self, signo: i32) -> Result<()> {
        if !Self::valid(signo) {
            return Err(Errno::INVAL);
        }
        let (w, b) = Self::bit(signo);
        self.words[w] |= b;
        Ok(())
    }

    /// Removes the signal numbered `signo`; out of range, nothing happens.
    #[inline]
    pub fn remove_raw(&mut self, signo: i32) {
        if Self::valid(signo) {
            let (w, b) = Self::bit(signo);
            self.words[w] &= !b;
        }
    }

    /// Whether the signal numbered `signo` is in the set (`false` when out
    /// of range).
    #[inline]
    #[must_use]
    pub const fn contains_raw(&self, signo: i32) -> bool {
        if !Self::valid(signo) {
            return false;
        }
        let (w, b) = Self::bit(signo);
        self.words[w] & b != 0
    }

    /// Whether the set has no signal.
    #[inline]
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        let mut i = 0;
        while i < WORDS {
            if self.words[i] != 0 {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The signal numbers in the set, in increasing order.
    #[inline]
    pub fn iter(&self) -> impl Iterator<Item = i32> + '_ {
        (1..=NSIG as i32).filter(move |&s| self.contains_raw(s))
    }
}

impl fmt::Debug for SigSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// `rt_sigprocmask(SIG_BLOCK, set, &old)`—Adds `set` to the calling
/// thread's blocked signals; returns the previous mask, so that it can be
/// restored (for example in a child before `execve`).
///
/// Blocked signals stay pending until unblocked or read from a
/// [`SignalFd`](crate::SignalFd). The mask is per thread: block before
/// spawning threads (they inherit it), or a process-directed signal may be
/// delivered to a thread that does not block it.
///
/// **Child processes inherit the mask too**, across `execve`, and
/// `std::process::Command` does not reset it: a child spawned while TERM is
/// blocked here ignores TERM until it unblocks it itself, which most
/// programs never do. Restore the old mask in the child with
/// [`set_signal_mask`] in `CommandExt::pre_exec` (one system call, safe
/// between fork and exec), as `examples/supervisor.rs` does.
///
/// # Errors
///
/// None in practice (`EFAULT`/`EINVAL` cannot arise from this API).
///
/// # References
///  - [sigprocmask(2)](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
///
/// # Example
///
/// ```
/// use rawepoll::{block_signals, set_signal_mask, SigSet, Signal};
/// let old = block_signals(&SigSet::empty().with(Signal::USR2))?;
/// assert!(rawepoll::sigset::signal_mask()?.contains(Signal::USR2));
/// set_signal_mask(&old)?;
/// # Ok::<(), rawepoll::Errno>(())
/// ```
#[inline]
#[doc(alias = "sigprocmask")]
#[doc(alias = "pthread_sigmask")]
#[doc(alias = "rt_sigprocmask")]
pub fn block_signals(set: &SigSet) -> Result<SigSet> {
    sys::rt_sigprocmask(How::Block, Some(set))
}

/// `rt_sigprocmask(SIG_UNBLOCK, set, &old)`—Removes `set` from the calling
/// thread's blocked signals; returns the previous mask. Pending signals in
/// `set` are delivered at once.
///
/// # Errors
///
/// None in practice.
///
/// # References
///  - [sigprocmask(2)](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
#[inline]
#[doc(alias = "rt_sigprocmask")]
pub fn unblock_signals(set: &SigSet) -> Result<SigSet> {
    sys::rt_sigprocmask(How::Unblock, Some(set))
}

/// `rt_sigprocmask(SIG_SETMASK, set, &old)`—Replaces the calling thread's
/// blocked signals with `set`; returns the previous mask.
///
/// # Errors
///
/// None in practice.
///
/// # References
///  - [sigprocmask(2)](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
#[inline]
#[doc(alias = "rt_sigprocmask")]
pub fn set_signal_mask(set: &SigSet) -> Result<SigSet> {
    sys::rt_sigprocmask(How::SetMask, Some(set))
}

/// `rt_sigprocmask(SIG_BLOCK, NULL, &old)`—The calling thread's current
/// signal mask, unchanged.
///
/// # Errors
///
/// None in practice.
///
/// # References
///  - [sigprocmask(2)](https://man7.org/linux/man-pages/man2/sigprocmask.2.html)
#[inline]
#[doc(alias = "rt_sigprocmask")]
pub fn signal_mask() -> Result<SigSet> {
    sys::rt_sigprocmask(How::Block, None)
}
