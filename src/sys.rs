//! The system-call boundary: the one module that makes the calls rustix
//! does not offer, owns the wait decision, and holds every `unsafe` block of
//! the crate.
//!
//! * **Waits.** [`wait`] is the single entry of [`Epoll::wait`] and
//!   [`Epoll::pwait`]: `epoll_pwait2` for a timeout finer than a millisecond
//!   while the kernel is not known to lack it (the [`PWAIT2`] probe, kept
//!   here), `epoll_pwait` with whole milliseconds otherwise, with or without
//!   a signal mask. rustix always passes a NULL mask, so both calls are made
//!   here; the events land straight in the [`Events`] buffer.
//! * **Signals.** `rt_sigprocmask` (rustix keeps it in a hidden module whose
//!   name changes between releases) and `signalfd4` (rustix has none).
//! * **Busy poll.** The `EPIOCSPARAMS` / `EPIOCGPARAMS` ioctls.
//! * **Close** with its error reported.
//!
//! The raw calls go through the [`syscalls`] crate (`no_std`, no libc: one
//! inline-asm `syscall`/`svc`/`ecall` per architecture, `#[inline]`), never
//! libc. Kernel facts (flag values, `_NSIG`, `struct epoll_params`) come
//! from linux-raw-sys, generated from the kernel's headers. Each `unsafe`
//! block has a `// SAFETY:` comment; the rest of the crate has none.
//!
//! [`Epoll::wait`]: crate::Epoll::wait
//! [`Epoll::pwait`]: crate::Epoll::pwait
//! [`syscalls`]: https://docs.rs/syscalls

use rustix::event::Timespec;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use rustix::io::Errno;
use syscalls::Sysno;

use crate::event::Events;
use crate::probe::Probe;
use crate::sigset::SigSet;
use crate::timeout::Timeout;
use crate::Result;

// `epoll_pwait2` takes a `struct __kernel_timespec`: two 64-bit fields on
// every architecture. rustix's Timespec is that struct on linux_raw.
const _: () = assert!(
    size_of::<Timespec>() == 16,
    "rustix's Timespec is not the kernel's struct __kernel_timespec"
);

/// `sizeof(sigset_t)` as the kernel's `rt_*` calls check it: `_NSIG / 8`.
const SIGSET_SIZE: usize = linux_raw_sys::general::_NSIG as usize / 8;
const _: () = assert!(size_of::<SigSet>() == SIGSET_SIZE);

#[inline]
fn errno(e: syscalls::Errno) -> Errno {
    Errno::from_raw_os_error(e.into_raw())
}

#[inline]
fn fd_arg(fd: BorrowedFd<'_>) -> usize {
    // An open fd is non-negative: its value, zero-extended (the kernel reads
    // an `int`; zero-extension is one instruction fewer than sign-extension).
    fd.as_raw_fd() as u32 as usize
}

#[inline]
fn mask_arg(mask: Option<&SigSet>) -> usize {
    match mask {
        Some(m) => core::ptr::from_ref(m) as usize,
        None => 0,
    }
}

// ---------------------------------------------------------------------------
// Waits
// ---------------------------------------------------------------------------

/// Whether the kernel has `epoll_pwait2`, learned on first use.
static PWAIT2: Probe = Probe::new();

/// Stops every later wait from trying `epoll_pwait2`.
#[inline]
pub(crate) fn disable_epoll_pwait2() {
    PWAIT2.unavailable();
}

/// What the probe has learned, `None` before the first precise wait.
#[inline]
pub(crate) fn epoll_pwait2_known() -> Option<bool> {
    PWAIT2.known()
}

/// Waits on `epfd` into `events` (emptied first, so the kernel always gets
/// all `N` slots) for at most `timeout`, with `mask` as the thread's signal
/// mask during the wait when given. Returns the count, also `events.len()`;
/// on error `events` is left empty.
///
/// A timeout with a part finer than a millisecond goes to `epoll_pwait2`
/// while it is worth trying; its `ENOSYS` (a kernel before 5.11, qemu-user)
/// or `EPERM` (a seccomp profile that predates it: the call has no `EPERM`
/// of its own) is remembered process-wide and the wait is made again with
/// `epoll_pwait`, the timeout rounded up to whole milliseconds.
#[inline]
pub(crate) fn wait<const N: usize>(
    epfd: BorrowedFd<'_>,
    events: &mut Events<N>,
    timeout: Timeout,
    mask: Option<&SigSet>,
) -> Result<usize> {
    if timeout.has_sub_millis() && PWAIT2.worth_trying() {
        match epoll_pwait2(epfd, events, timeout.as_timespec(), mask) {
            Err(Errno::NOSYS | Errno::PERM) => PWAIT2.unavailable(),
            other => {
                PWAIT2.available();
                return other;
            }
        }
    }
    epoll_pwait(epfd, events, timeout.as_millis(), mask)
}

/// Sets the length of `events` from a wait's answer: the count the kernel
/// reported, or 0 on error.
#[inline]
fn keep<const N: usize>(events: &mut Events<N>, answer: Result<usize>) -> Result<usize> {
    match answer {
        Ok(n) if n <= N => {
            // SAFETY: a successful epoll_pwait/epoll_pwait2 with maxevents
            // N wrote `n` complete `struct epoll_event` records at the start
            // of the buffer's storage; `RawEvent` is exactly that struct
            // (asserted against linux-raw-sys in event.rs) and has no
            // invalid bit patterns, so the first `n` elements are
            // initialized. `n <= N`, the capacity.
            unsafe { events.buf.set_len(n) };
            Ok(n)
        }
        // More than `maxevents`: the kernel never answers that. Refused
        // rather than trusted, on a cold path that costs the hot one a
        // compare and a branch.
        Ok(_) => {
            events.buf.clear();
            Err(Errno::IO)
        }
        Err(e) => {
            events.buf.clear();
            Err(e)
        }
    }
}

/// `epoll_pwait(epfd, events, N, timeout_ms, mask, sizeof(sigset_t))`.
#[inline]
fn epoll_pwait<const N: usize>(
    epfd: BorrowedFd<'_>,
    events: &mut Events<N>,
    timeout_ms: i32,
    mask: Option<&SigSet>,
) -> Result<usize> {
    let buf = events.buf.as_mut_ptr();
    // SAFETY: `buf` points to the storage of the exclusively borrowed
    // `events`: room for exactly N records of the kernel's `struct
    // epoll_event` layout (RawEvent, asserted in event.rs), whatever the
    // Vec's length, and the kernel writes at most N (`maxevents`) of them.
    // `mask`, when given, points to a live SigSet of SIGSET_SIZE bytes that
    // the kernel only reads; NULL means "no change". `epfd` is open for the
    // duration of the borrow. The int timeout is passed sign-extended, as
    // the kernel reads an `int`.
    //
    // Without a mask the sixth argument, `sigsetsize`, is never read (the
    // kernel checks it only for a non-NULL mask), so it is not passed.
    let answer = unsafe {
        match mask {
            None => syscalls::syscall5(
                Sysno::epoll_pwait,
                fd_arg(epfd),
                buf as usize,
                N,
                timeout_ms as isize as usize,
                0,
            ),
            Some(mask) => syscalls::syscall6(
                Sysno::epoll_pwait,
                fd_arg(epfd),
                buf as usize,
                N,
                timeout_ms as isize as usize,
                core::ptr::from_ref(mask) as usize,
                SIGSET_SIZE,
            ),
        }
    };
    keep(events, answer.map_err(errno))
}

/// `epoll_pwait2(epfd, events, N, timeout, mask, sizeof(sigset_t))` (Linux
/// 5.11).
#[inline]
fn epoll_pwait2<const N: usize>(
    epfd: BorrowedFd<'_>,
    events: &mut Events<N>,
    timeout: Option<&Timespec>,
    mask: Option<&SigSet>,
) -> Result<usize> {
    let timeout_arg = match timeout {
        Some(t) => core::ptr::from_ref(t) as usize,
        None => 0,
    };
    let buf = events.buf.as_mut_ptr();
    // SAFETY: as for `epoll_pwait` above; in addition `timeout`, when given,
    // points to a live rustix `Timespec`, which on the linux_raw backend is
    // the kernel's `struct __kernel_timespec` (64-bit seconds and
    // nanoseconds on every architecture, asserted above), and which the
    // kernel only reads. NULL means "block until an event".
    let answer = unsafe {
        syscalls::syscall6(
            Sysno::epoll_pwait2,
            fd_arg(epfd),
            buf as usize,
            N,
            timeout_arg,
            mask_arg(mask),
            SIGSET_SIZE,
        )
    };
    keep(events, answer.map_err(errno))
}

// ---------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------

/// `how` for [`rt_sigprocmask`] (`SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK`).
#[derive(Clone, Copy)]
#[repr(u32)]
pub(crate) enum How {
    Block = linux_raw_sys::general::SIG_BLOCK,
    Unblock = linux_raw_sys::general::SIG_UNBLOCK,
    SetMask = linux_raw_sys::general::SIG_SETMASK,
}

/// `rt_sigprocmask(how, set, &old, sizeof(sigset_t))`: changes the calling
/// thread's mask (or only reads it when `set` is `None`) and returns the old.
#[inline]
pub(crate) fn rt_sigprocmask(how: How, set: Option<&SigSet>) -> Result<SigSet> {
    let mut old = SigSet::empty();
    // SAFETY: `set`, when given, points to a live SigSet the kernel only
    // reads; `old` is a live, exclusively borrowed SigSet of SIGSET_SIZE
    // bytes the kernel writes in full; the call touches no other memory.
    unsafe {
        syscalls::syscall4(
            Sysno::rt_sigprocmask,
            how as usize,
            mask_arg(set),
            core::ptr::from_mut(&mut old) as usize,
            SIGSET_SIZE,
        )
    }
    .map_err(errno)?;
    Ok(old)
}

/// `signalfd4(-1, mask, sizeof(sigset_t), SFD_CLOEXEC | SFD_NONBLOCK)`.
#[inline]
pub(crate) fn signalfd4(mask: &SigSet) -> Result<OwnedFd> {
    // SFD_CLOEXEC and SFD_NONBLOCK are defined as O_CLOEXEC and O_NONBLOCK,
    // whose values differ by architecture (mips).
    const FLAGS: usize =
        (linux_raw_sys::general::O_CLOEXEC | linux_raw_sys::general::O_NONBLOCK) as usize;
    // SAFETY: `mask` points to a live SigSet of SIGSET_SIZE bytes that the
    // kernel only reads; fd -1 asks for a new signalfd.
    let fd = unsafe {
        syscalls::syscall4(
            Sysno::signalfd4,
            usize::MAX, // -1
            core::ptr::from_ref(mask) as usize,
            SIGSET_SIZE,
            FLAGS,
        )
    }
    .map_err(errno)?;
    // SAFETY: on success the kernel returned a new, open fd that nothing
    // else owns; the OwnedFd takes sole ownership and closes it on drop.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

// ---------------------------------------------------------------------------
// Busy poll
// ---------------------------------------------------------------------------

/// The kernel's `struct epoll_params` (Linux 6.9), from linux-raw-sys.
pub(crate) use linux_raw_sys::general::epoll_params as EpollParams;

const EPIOCSPARAMS: rustix::ioctl::Opcode = rustix::ioctl::opcode::write::<EpollParams>(0x8A, 0x01);
const EPIOCGPARAMS: rustix::ioctl::Opcode = rustix::ioctl::opcode::read::<EpollParams>(0x8A, 0x02);

/// `ioctl(epfd, EPIOCSPARAMS, &params)`.
#[inline]
pub(crate) fn set_epoll_params(epfd: impl AsFd, params: EpollParams) -> Result<()> {
    // SAFETY: EPIOCSPARAMS is the kernel's `_IOW(0x8A, 1, struct
    // epoll_params)` and `EpollParams` is that struct (linux-raw-sys's
    // binding of the kernel header), which the kernel only reads.
    unsafe {
        rustix::ioctl::ioctl(
            epfd,
            rustix::ioctl::Setter::<EPIOCSPARAMS, EpollParams>::new(params),
        )
    }
}

/// `ioctl(epfd, EPIOCGPARAMS, &params)`.
#[inline]
pub(crate) fn epoll_params(epfd: impl AsFd) -> Result<EpollParams> {
    // SAFETY: EPIOCGPARAMS is the kernel's `_IOR(0x8A, 2, struct
    // epoll_params)` and `EpollParams` is that struct, which the kernel
    // writes in full.
    unsafe {
        rustix::ioctl::ioctl(
            epfd,
            rustix::ioctl::Getter::<EPIOCGPARAMS, EpollParams>::new(),
        )
    }
}

// ---------------------------------------------------------------------------
// Close
// ---------------------------------------------------------------------------

/// `close(fd)`, reporting its error (dropping an `OwnedFd` ignores it).
#[inline]
pub(crate) fn close(fd: OwnedFd) -> Result<()> {
    let raw = fd.into_raw_fd();
    // SAFETY: `raw` was just released by the `OwnedFd` we owned, so it is
    // open and nothing else will close or use it; after this call it is
    // never used again.
    unsafe { rustix::io::try_close(raw) }
}
