//! The one reviewed place for the system calls rustix does not offer:
//! `epoll_pwait` with a signal mask, `epoll_pwait2`, `rt_sigprocmask` and
//! `signalfd4`, plus the busy-poll `ioctl`s.
//!
//! rustix has no signalfd, keeps `rt_sigprocmask` in a hidden module whose
//! name changes between releases, and always passes a NULL mask to
//! `epoll_pwait`. These calls are made here through the [`syscalls`] crate
//! (`no_std`, no libc: one inline-asm `syscall`/`svc`/`ecall` per
//! architecture, `#[inline]`), never through libc. Each call has a
//! `// SAFETY:` comment; nothing else in the crate calls `syscalls`.
//!
//! [`syscalls`]: https://docs.rs/syscalls

use core::mem::MaybeUninit;

use rustix::event::Timespec;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use rustix::io::Errno;
use syscalls::Sysno;

use crate::event::RawEvent;
use crate::sigset::SigSet;
use crate::Result;

// `epoll_pwait2` takes a `struct __kernel_timespec`: two 64-bit fields on
// every architecture. rustix's Timespec is that struct on linux_raw.
const _: () = assert!(
    core::mem::size_of::<Timespec>() == 16,
    "rustix's Timespec is not the kernel's struct __kernel_timespec"
);

/// `sizeof(sigset_t)` as the kernel's `rt_*` calls check it (`_NSIG / 8`).
const SIGSET_SIZE: usize = core::mem::size_of::<SigSet>();

#[inline]
fn errno(e: syscalls::Errno) -> Errno {
    Errno::from_raw_os_error(e.into_raw())
}

#[inline]
fn fd_arg(fd: BorrowedFd<'_>) -> usize {
    // An open fd is non-negative, so this is its value, zero-extended.
    fd.as_raw_fd() as usize
}

#[inline]
fn mask_arg(mask: Option<&SigSet>) -> usize {
    match mask {
        Some(m) => core::ptr::from_ref::<SigSet>(m) as usize,
        None => 0,
    }
}

/// `epoll_pwait(epfd, buf, N, timeout_ms, mask, sizeof(sigset_t))`.
/// Returns how many records the kernel wrote at the start of `buf`.
#[inline]
pub(crate) fn epoll_pwait<const N: usize>(
    epfd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<RawEvent>; N],
    timeout_ms: i32,
    mask: Option<&SigSet>,
) -> Result<usize> {
    // SAFETY: `buf` is exclusively borrowed, writable storage for exactly N
    // records of the kernel's `struct epoll_event` layout (RawEvent's layout
    // is asserted in event.rs), and the kernel writes at most N (`maxevents`)
    // of them. `mask`, when given, points to a live SigSet of SIGSET_SIZE
    // bytes that the kernel only reads; a NULL mask means "no change". `epfd`
    // is open for the duration of the borrow. The int timeout is passed
    // sign-extended, as the kernel reads it as an `int`.
    unsafe {
        syscalls::syscall6(
            Sysno::epoll_pwait,
            fd_arg(epfd),
            buf.as_mut_ptr() as usize,
            N,
            timeout_ms as isize as usize,
            mask_arg(mask),
            SIGSET_SIZE,
        )
    }
    .map_err(errno)
}

/// `epoll_pwait2(epfd, buf, N, timeout, mask, sizeof(sigset_t))` (Linux
/// 5.11; `ENOSYS` before, and under qemu-user 7.2).
#[inline]
pub(crate) fn epoll_pwait2<const N: usize>(
    epfd: BorrowedFd<'_>,
    buf: &mut [MaybeUninit<RawEvent>; N],
    timeout: Option<&Timespec>,
    mask: Option<&SigSet>,
) -> Result<usize> {
    let timeout_arg = match timeout {
        Some(t) => core::ptr::from_ref::<Timespec>(t) as usize,
        None => 0,
    };
    // SAFETY: as for `epoll_pwait` above; in addition `timeout`, when given,
    // points to a live rustix `Timespec`, which on the linux_raw backend is
    // the kernel's `struct __kernel_timespec` (64-bit seconds and
    // nanoseconds on every architecture; rustix passes it to epoll_pwait2
    // itself), and which the kernel only reads. NULL means "block until an
    // event".
    unsafe {
        syscalls::syscall6(
            Sysno::epoll_pwait2,
            fd_arg(epfd),
            buf.as_mut_ptr() as usize,
            N,
            timeout_arg,
            mask_arg(mask),
            SIGSET_SIZE,
        )
    }
    .map_err(errno)
}

/// `how` for [`rt_sigprocmask`].
#[derive(Clone, Copy)]
#[repr(usize)]
pub(crate) enum How {
    Block = 0,
    Unblock = 1,
    SetMask = 2,
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
            &raw mut old as usize,
            SIGSET_SIZE,
        )
    }
    .map_err(errno)?;
    Ok(old)
}

/// `signalfd4(-1, mask, sizeof(sigset_t), SFD_CLOEXEC | SFD_NONBLOCK)`.
#[inline]
pub(crate) fn signalfd4(mask: &SigSet) -> Result<OwnedFd> {
    // SFD_CLOEXEC and SFD_NONBLOCK are O_CLOEXEC and O_NONBLOCK, whose
    // values differ on mips.
    const SFD_CLOEXEC: usize = 0o2_000_000;
    #[cfg(not(any(target_arch = "mips", target_arch = "mips64")))]
    const SFD_NONBLOCK: usize = 0o4_000;
    #[cfg(any(target_arch = "mips", target_arch = "mips64"))]
    const SFD_NONBLOCK: usize = 0o200;
    // SAFETY: `mask` points to a live SigSet of SIGSET_SIZE bytes that the
    // kernel only reads; fd -1 asks for a new signalfd.
    let fd = unsafe {
        syscalls::syscall4(
            Sysno::signalfd4,
            usize::MAX, // -1
            core::ptr::from_ref::<SigSet>(mask) as usize,
            SIGSET_SIZE,
            SFD_CLOEXEC | SFD_NONBLOCK,
        )
    }
    .map_err(errno)?;
    // SAFETY: on success the kernel returned a new, open fd that nothing
    // else owns; the OwnedFd takes sole ownership and closes it on drop.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The kernel's `struct epoll_params` (Linux 6.9).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EpollParams {
    pub(crate) busy_poll_usecs: u32,
    pub(crate) busy_poll_budget: u16,
    pub(crate) prefer_busy_poll: u8,
    pub(crate) pad: u8,
}

const _: () = assert!(core::mem::size_of::<EpollParams>() == 8);

const EPIOCSPARAMS: rustix::ioctl::Opcode = rustix::ioctl::opcode::write::<EpollParams>(0x8A, 0x01);
const EPIOCGPARAMS: rustix::ioctl::Opcode = rustix::ioctl::opcode::read::<EpollParams>(0x8A, 0x02);

/// `ioctl(epfd, EPIOCSPARAMS, &params)`.
#[inline]
pub(crate) fn set_epoll_params(epfd: impl AsFd, params: EpollParams) -> Result<()> {
    // SAFETY: EPIOCSPARAMS is the kernel's `_IOW(0x8A, 1, struct
    // epoll_params)` and `EpollParams` is that struct (8 bytes, asserted
    // above), which the kernel only reads.
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
