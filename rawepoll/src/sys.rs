//! The system-call boundary: the one module that makes the calls rustix
//! does not offer, owns the wait decision, and holds every `unsafe` block of
//! the crate.
//!
//! * **Waits.** [`wait`] is the single, non-generic entry of every wait
//!   ([`Epoll::wait`], [`Epoll::pwait`], [`Epoll::wait_slice`]), over a
//!   slice of uninitialized records; [`wait_vec`] fits an `Events<N>`'s
//!   vector to it through heapless's unsized `VecView`. It makes the
//!   cheapest call that does the job: `epoll_wait` where the architecture
//!   has it and no mask is given, `epoll_pwait` with or without a mask
//!   otherwise, and `epoll_pwait2` for a timeout finer than a millisecond
//!   while the kernel is not known to lack it (the [`PWAIT2`] probe, kept
//!   here). rustix always passes a NULL mask and never calls `epoll_wait`,
//!   so all three are made here.
//! * **Signals.** `rt_sigprocmask` (rustix keeps it in a hidden module whose
//!   name changes between releases) and `signalfd4` (rustix has none).
//! * **Busy poll.** The `EPIOCSPARAMS` / `EPIOCGPARAMS` ioctls.
//! * **Close** with its error reported, through rustix's `try_close` (its
//!   one `unsafe` is the promise that the fd is ours to close).
//!
//! The raw calls go through the [`syscalls`] crate (`no_std`, no libc: one
//! inline-asm `syscall`/`svc`/`ecall` per architecture, `#[inline]`), never
//! libc. Kernel facts (flag values, `_NSIG`, `struct epoll_params`) come
//! from linux-raw-sys, generated from the kernel's headers. Each `unsafe`
//! block has a `// SAFETY:` comment; the rest of the crate has none.
//!
//! [`Epoll::wait`]: crate::Epoll::wait
//! [`Epoll::pwait`]: crate::Epoll::pwait
//! [`Epoll::wait_slice`]: crate::Epoll::wait_slice
//! [`syscalls`]: https://docs.rs/syscalls

use rustix::event::Timespec;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd};
use rustix::io::Errno;
use syscalls::Sysno;

use core::mem::MaybeUninit;
use heapless::vec::VecView;

use crate::event::RawEvent;
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

// System-call arguments and answers, typed as rustix's linux_raw backend
// types them (`conv.rs`): each conversion to a register named once, never
// an `as` chain inline.

/// An answer as a count or an fd (rustix's `ret_usize`): the value, or the
/// kernel's errno unchanged.
#[inline]
fn ret_usize(answer: core::result::Result<usize, syscalls::Errno>) -> Result<usize> {
    answer.map_err(|e| Errno::from_raw_os_error(e.into_raw()))
}

/// An fd argument (rustix's `borrowed_fd`): an open fd is non-negative, so
/// its value zero-extended (the kernel reads an `int`; zero-extension is
/// one instruction fewer than sign-extension).
#[inline]
fn fd_arg(fd: BorrowedFd<'_>) -> usize {
    fd.as_raw_fd() as u32 as usize
}

/// An `int` argument (rustix's `c_int`), sign-extended as the kernel reads
/// it: -1 stays -1.
#[inline]
fn c_int_arg(value: i32) -> usize {
    value as isize as usize
}

/// A pointer to a value the kernel only reads (rustix's `by_ref`).
#[inline]
fn by_ref<T>(value: &T) -> usize {
    core::ptr::from_ref(value) as usize
}

/// An optional pointer the kernel only reads, NULL for `None` (rustix's
/// `opt_ref`).
#[inline]
fn opt_ref<T>(value: Option<&T>) -> usize {
    value.map_or(0, by_ref)
}

/// A pointer to a value the kernel writes (rustix's `by_mut`).
#[inline]
fn by_mut<T>(value: &mut T) -> usize {
    core::ptr::from_mut(value) as usize
}

/// The start of a buffer the kernel writes (rustix's `slice_mut`, whose
/// length goes in its own argument).
#[inline]
fn slice_mut_arg<T>(buf: &mut [T]) -> usize {
    buf.as_mut_ptr() as usize
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

/// The most events one wait can ask for: the kernel's `EP_MAX_EVENTS`
/// (`INT_MAX / sizeof(struct epoll_event)`); `maxevents` above it is
/// `EINVAL`. A longer buffer is offered this many slots.
const MAX_EVENTS: usize = i32::MAX as usize / size_of::<RawEvent>();

/// Waits on `epfd` into `buf` for at most `timeout`, with `mask` as the
/// thread's signal mask during the wait when given, and returns the events
/// the kernel wrote: the first `n` elements of `buf`, initialized. An empty
/// `buf` is `EINVAL` (the kernel's answer for `maxevents` 0).
///
/// The cheapest call that does the job:
///
/// * a timeout with a part finer than a millisecond goes to `epoll_pwait2`
///   while it is worth trying; its `ENOSYS` (a kernel before 5.11,
///   qemu-user) or `EPERM` (a seccomp profile that predates it: the call has
///   no `EPERM` of its own) is remembered process-wide and the wait is made
///   again with whole milliseconds, rounded up;
/// * whole milliseconds with no mask: `epoll_wait` where the architecture
///   has it (`x86_64`, i686, armv7, s390x, powerpc64, mips: one argument
///   fewer and no signal-mask handling in the kernel), else `epoll_pwait`
///   with a NULL mask (aarch64, riscv64 have no `epoll_wait`);
/// * whole milliseconds with a mask: `epoll_pwait`.
///
/// Not generic: every `Events<N>` and every slice share this one body.
#[inline]
pub(crate) fn wait<'b>(
    epfd: BorrowedFd<'_>,
    buf: &'b mut [MaybeUninit<RawEvent>],
    timeout: Timeout,
    mask: Option<&SigSet>,
) -> Result<&'b mut [RawEvent]> {
    let max = buf.len().min(MAX_EVENTS);
    let answer = 'call: {
        if timeout.has_sub_millis() && PWAIT2.worth_trying() {
            match epoll_pwait2(epfd, buf, max, timeout.as_timespec(), mask) {
                Err(Errno::NOSYS | Errno::PERM) => PWAIT2.unavailable(),
                other => {
                    PWAIT2.available();
                    break 'call other;
                }
            }
        }
        match mask {
            #[cfg(rawepoll_epoll_wait)]
            None => epoll_wait(epfd, buf, max, timeout.as_millis()),
            _ => epoll_pwait(epfd, buf, max, timeout.as_millis(), mask),
        }
    }?;
    // More than `maxevents`: the kernel never answers that. Refused rather
    // than trusted, on a cold path that costs the hot one a compare and a
    // branch.
    if answer > max {
        return Err(Errno::IO);
    }
    let (init, _) = buf.split_at_mut(answer);
    // SAFETY: a successful wait with `maxevents` `max` wrote `answer` (at
    // most `max`, checked above) complete `struct epoll_event` records at
    // the start of `buf`; `RawEvent` is exactly that struct (asserted
    // against linux-raw-sys in event.rs) and has no invalid bit patterns,
    // so these `answer` elements are initialized. `MaybeUninit<RawEvent>`
    // has `RawEvent`'s layout, so the slice may be read as `[RawEvent]`.
    Ok(unsafe { &mut *(core::ptr::from_mut(init) as *mut [RawEvent]) })
}

/// [`wait`] into a heapless vector (emptied first, so the kernel gets all
/// its capacity), whose length becomes the count, also returned; on error
/// it is left empty. One body for every capacity: the vector is seen
/// through its unsized [`VecView`].
#[inline]
pub(crate) fn wait_vec(
    epfd: BorrowedFd<'_>,
    events: &mut VecView<RawEvent>,
    timeout: Timeout,
    mask: Option<&SigSet>,
) -> Result<usize> {
    events.clear();
    let n = wait(epfd, events.spare_capacity_mut(), timeout, mask)?.len();
    // SAFETY: `wait` initialized the first `n` elements of the spare
    // capacity, which starts at index 0 of the emptied vector; `n` is at
    // most that capacity.
    unsafe { events.set_len(n) };
    Ok(n)
}

/// `epoll_wait(epfd, buf, max, timeout_ms)`.
#[cfg(rawepoll_epoll_wait)]
#[inline]
fn epoll_wait(
    epfd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<RawEvent>],
    max: usize,
    timeout_ms: i32,
) -> Result<usize> {
    // SAFETY: `buf` is an exclusively borrowed buffer of at least `max`
    // records of the kernel's `struct epoll_event` layout (RawEvent,
    // asserted in event.rs), and the kernel writes at most `max` of them.
    // `epfd` is open for the duration of the borrow.
    ret_usize(unsafe {
        syscalls::syscall4(
            Sysno::epoll_wait,
            fd_arg(epfd),
            slice_mut_arg(buf),
            max,
            c_int_arg(timeout_ms),
        )
    })
}

/// `epoll_pwait(epfd, buf, max, timeout_ms, mask, sizeof(sigset_t))`.
#[inline]
fn epoll_pwait(
    epfd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<RawEvent>],
    max: usize,
    timeout_ms: i32,
    mask: Option<&SigSet>,
) -> Result<usize> {
    // SAFETY: as for `epoll_wait` above; `mask`, when given, points to a
    // live SigSet of SIGSET_SIZE bytes that the kernel only reads.
    //
    // Without a mask the sixth argument, `sigsetsize`, is never read (the
    // kernel checks it only for a non-NULL mask), so it is not passed: strace
    // shows whatever the register held.
    ret_usize(unsafe {
        match mask {
            None => syscalls::syscall5(
                Sysno::epoll_pwait,
                fd_arg(epfd),
                slice_mut_arg(buf),
                max,
                c_int_arg(timeout_ms),
                0,
            ),
            Some(mask) => syscalls::syscall6(
                Sysno::epoll_pwait,
                fd_arg(epfd),
                slice_mut_arg(buf),
                max,
                c_int_arg(timeout_ms),
                by_ref(mask),
                SIGSET_SIZE,
            ),
        }
    })
}

/// `epoll_pwait2(epfd, buf, max, timeout, mask, sizeof(sigset_t))` (Linux
/// 5.11).
#[inline]
fn epoll_pwait2(
    epfd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<RawEvent>],
    max: usize,
    timeout: Option<&Timespec>,
    mask: Option<&SigSet>,
) -> Result<usize> {
    // SAFETY: as for `epoll_pwait` above; in addition `timeout`, when given,
    // points to a live rustix `Timespec`, which on the linux_raw backend is
    // the kernel's `struct __kernel_timespec` (64-bit seconds and
    // nanoseconds on every architecture, asserted above), and which the
    // kernel only reads. NULL means "block until an event".
    ret_usize(unsafe {
        syscalls::syscall6(
            Sysno::epoll_pwait2,
            fd_arg(epfd),
            slice_mut_arg(buf),
            max,
            opt_ref(timeout),
            opt_ref(mask),
            SIGSET_SIZE,
        )
    })
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
    ret_usize(unsafe {
        syscalls::syscall4(
            Sysno::rt_sigprocmask,
            how as usize,
            opt_ref(set),
            by_mut(&mut old),
            SIGSET_SIZE,
        )
    })?;
    Ok(old)
}

/// `signalfd4(-1, mask, sizeof(sigset_t), SFD_CLOEXEC | SFD_NONBLOCK)`.
#[inline]
#[allow(
    clippy::trivially_copy_pass_by_ref,
    reason = "the kernel reads the set at this address"
)]
pub(crate) fn signalfd4(mask: &SigSet) -> Result<OwnedFd> {
    // SFD_CLOEXEC and SFD_NONBLOCK are defined as O_CLOEXEC and O_NONBLOCK,
    // whose values differ by architecture (mips).
    const FLAGS: usize =
        (linux_raw_sys::general::O_CLOEXEC | linux_raw_sys::general::O_NONBLOCK) as usize;
    // SAFETY: `mask` points to a live SigSet of SIGSET_SIZE bytes that the
    // kernel only reads; fd -1 asks for a new signalfd.
    let fd = ret_usize(unsafe {
        syscalls::syscall4(
            Sysno::signalfd4,
            c_int_arg(-1),
            by_ref(mask),
            SIGSET_SIZE,
            FLAGS,
        )
    })?;
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
