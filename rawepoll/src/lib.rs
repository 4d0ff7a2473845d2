//! Linux epoll with no libc, no std and no allocator.
//!
//! rawepoll makes the epoll system calls directly, never through libc:
//! `epoll_create1` and `epoll_ctl` (ADD, MOD, DEL) through [rustix]'s
//! `linux_raw` backend, the waits (`epoll_wait` where the architecture has
//! it, `epoll_pwait` with a signal mask or where it does not, `epoll_pwait2`
//! below a millisecond) through one small module of raw calls, and `close`
//! through rustix's `try_close`, each inlined down to the `syscall`
//! instruction. [`Epoll::wait_slice`] waits into a buffer sized at run
//! time. Events land in a fixed-capacity [`Events<N>`] buffer (a
//! [`heapless::Vec`]), so nothing is ever allocated, and the layout of the
//! kernel's `struct epoll_event` ([`RawEvent`]: packed on `x86_64`, padded to
//! 16 bytes on other 64-bit architectures) is checked at compile time on
//! every architecture the crate builds for. The crate is `#![no_std]`;
//! building for an architecture where rustix would fall back to libc is a
//! compile error rather than a silent libc dependency.
//!
//! # The model
//!
//! An [`Epoll`] watches file descriptors registered with
//! [`add`](Epoll::add), each with an [`Interest`] (what to watch for) and a
//! [`Token`] (a `u64` handed back with every event). `add`, `modify` and
//! `delete` *borrow* the fd (`&fd` or `fd.as_fd()`: see [`AsBorrowedFd`]);
//! the owner keeps it open. [`wait`](Epoll::wait)
//! blocks until some are ready or a [`Timeout`] passes, and fills the
//! [`Events`] buffer with one [`Event`] per ready fd.
//!
//! * **Level-triggered** (the default): a ready fd is reported by every
//!   `wait` for as long as it stays ready. Simplest; safe with partial reads.
//!   *A peer that hung up, or a socket at end of file, stays "ready"
//!   forever*: every `wait` reports it again ([`Event::is_hangup`],
//!   [`Event::is_read_closed`], or readable with a 0-byte read), and a loop
//!   that only reads spins at 100% CPU. Fix: `epoll.delete(&fd)?` when you
//!   see the end.
//! * **Edge-triggered** ([`Interest::EDGE`]): reported once each time it
//!   *becomes* ready. Read or write until `EAGAIN` before waiting again, or
//!   the rest of the data sits unreported. *The fd must be non-blocking*,
//!   or that last read blocks the whole loop: std's `TcpStream`,
//!   `ChildStdout`, `Stdin` and pipes are blocking. Fix:
//!   [`set_nonblocking(&fd, true)`](set_nonblocking) before `add`.
//! * **One-shot** ([`Interest::ONESHOT`]): reported once, then disabled until
//!   re-armed with [`modify`](Epoll::modify). Lets several threads share one
//!   epoll with no two handling the same fd at once.
//!
//! Interest belongs to the open file description, not to the fd number:
//! delete before you close, and know that a `dup`'d or forked copy keeps
//! delivering events (see [`Epoll`]).
//!
//! # Example
//!
//! ```
//! use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};
//!
//! fn main() -> rawepoll::Result<()> {
//!     let epoll = Epoll::new()?;
//!     let wake = EventFd::new()?;
//!     epoll.add(&wake, Token(42), Interest::READABLE | Interest::EDGE)?;
//!     wake.notify()?;
//!
//!     let mut events = Events::<16>::new();
//!     let n = epoll.wait(&mut events, Timeout::from_millis(10))?;
//!     assert_eq!(n, 1);
//!     for event in &events {
//!         assert_eq!(event.token(), Token(42));
//!         assert!(event.is_readable());
//!         assert_eq!(wake.drain()?, 1);
//!     }
//!     // Edge-triggered and drained: nothing more to report.
//!     assert_eq!(epoll.wait(&mut events, Timeout::ZERO)?, 0);
//!     Ok(())
//! }
//! ```
//!
//! # Event sources
//!
//! Everything an init or supervisor waits on is a file descriptor that
//! registers like any other: [`EventFd`] (wake-ups from other threads, or
//! a semaphore), [`TimerFd`] (timers on any [`Clock`], relative or
//! absolute), [`SignalFd`] (blocked signals, with [`SigSet`] and
//! [`block_signals`]) and [`PidFd`] (process exits and their
//! [`ExitStatus`]). Each converts from and into an [`OwnedFd`], for fds
//! inherited, passed over a socket or made by `clone3(CLONE_PIDFD)`. On
//! [`Epoll`], [`pwait`](Epoll::pwait) swaps in a signal mask for the wait,
//! [`wait_deadline`](Epoll::wait_deadline) retries `EINTR` with the time left,
//! and [`set_busy_poll`](Epoll::set_busy_poll) sets the busy-poll ioctl.
//!
//! The few system calls rustix lacks (`rt_sigprocmask`, `signalfd4`,
//! `epoll_pwait` with a mask, `epoll_pwait2`) are made in one private,
//! reviewed module through the `no_std` `syscalls` crate: never libc.
//!
//! # Types from rustix
//!
//! Re-exported, so that a user needs no rustix dependency of their own:
//!
//! * [`Errno`]: the error of every call, the kernel's `errno` unchanged;
//!   `Copy`, `no_std`. Each method's docs list when each errno happens.
//! * [`Pid`]: a process id, for [`PidFd::open`].
//! * [`Signal`]: a named signal, for [`SigSet`] and [`PidFd::send_signal`];
//!   real-time signals are raw `i32`s.
//! * [`AsFd`], [`BorrowedFd`], [`OwnedFd`], [`AsRawFd`], [`RawFd`]: the
//!   file-descriptor types and traits (std's own with the `std` feature).
//!
//! # `no_std` use
//!
//! With default features the crate uses only `core`: no `std`, no `alloc`,
//! no libc. An [`Events`] buffer can be a `static` or live on the stack, and
//! every error is the kernel's [`Errno`], unchanged. File descriptors are
//! rustix's [`OwnedFd`] / [`BorrowedFd`] types.
//!
//! # Features
//!
//! * `std`: turns on `rustix/std`, so that std's `File`, `TcpStream`,
//!   `ChildStdout`, `Stdin`… register directly (rustix's `AsFd` becomes
//!   std's), [`Errno`] implements `std::error::Error` and converts into
//!   `std::io::Error` with `?`, and `PidFd::from_child` opens a pidfd for
//!   a `std::process::Child`. std's I/O types are *blocking*: with
//!   [`Interest::EDGE`], call their `set_nonblocking(true)` (or
//!   [`set_nonblocking`]) before registering them, or the read until
//!   `EAGAIN` blocks the loop.
//!
//! The async runtime that used to be the `async` feature's `rawepoll::rt`
//! is the crate [`rawepoll-rt`](https://docs.rs/rawepoll-rt), built on this
//! crate's public API.
//!
//! [rustix]: https://docs.rs/rustix
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![warn(clippy::pedantic)]
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "system-call ABI conversions (fds, counts, timeouts, signal numbers) whose ranges the kernel defines; each is commented where it is not obvious"
)]
// Every `unsafe` block is in `sys` (the system-call boundary) or `boxed`
// (registries built in place on the heap), and each says why it is sound.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_debug_implementations)]

#[cfg(feature = "std")]
extern crate std;

// The architecture rule (where rustix makes raw system calls) is stated
// once, in build.rs, which stops the build elsewhere before this crate is
// compiled: no module here needs a `cfg` for it.
#[macro_use]
mod fd;
// Registries built in place on the heap: with `sys`, the only module with
// `unsafe` code.
#[cfg(feature = "std")]
#[allow(unsafe_code)]
mod boxed;
pub mod epoll;
pub mod event;
mod interest;
mod probe;
pub mod registry;
pub mod sigset;
pub mod slab;
mod source;
#[allow(unsafe_code)]
mod sys;
mod timeout;
pub mod timer_set;

pub use crate::{
    epoll::Epoll,
    event::{Event, Events, RawEvent},
    fd::{set_nonblocking, AsBorrowedFd},
    interest::{CreateFlags, Interest, Token},
    registry::{Registry, SharedRegistry},
    sigset::{block_signals, set_signal_mask, SigSet},
    source::eventfd::EventFd,
    source::pidfd::{pidfd_nonblock_available, reap_any, ExitStatus, PidFd},
    source::signalfd::{SigInfo, SignalFd},
    source::timerfd::{Clock, TimerFd},
    timeout::{Deadline, Timeout},
    timer_set::TimerSet,
};

/// A process id, for [`PidFd::open`] (rustix's type).
#[doc(no_inline)]
pub use rustix::process::Pid;
/// A named signal, for [`SigSet`] and [`PidFd::send_signal`] (rustix's
/// type); real-time signals are raw `i32`s.
#[doc(no_inline)]
pub use rustix::process::Signal;

/// File-descriptor types and traits (rustix's; std's own with the `std`
/// feature).
#[doc(no_inline)]
pub use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
/// The error of every call: the kernel's `errno`, unchanged. `Copy`, `no_std`.
#[doc(no_inline)]
pub use rustix::io::Errno;

/// `core::result::Result` with [`Errno`] as the default error, so that
/// `use rawepoll::*;` leaves `Result<T, E>` working for other errors.
pub type Result<T, E = Errno> = core::result::Result<T, E>;

/// The README's Rust examples, compiled and run as doctests (with
/// `--all-features`: they use std's types).
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
