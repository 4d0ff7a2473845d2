//! `async` on [rawepoll], with no runtime crate, no std and no allocator.
//!
//! A [`Runtime<N>`] is a reactor and an executor in one fixed-size value,
//! meant to be a `static` (`const fn new`):
//!
//! * **Reactor.** [`Runtime::register`] puts a non-blocking fd in the
//!   runtime's epoll (edge-triggered) and hands back an [`Async`], whose
//!   [`readable`](Async::readable) and [`writable`](Async::writable)
//!   futures wait for readiness, and whose [`read_with`](Async::read_with)
//!   and [`write_with`](Async::write_with) retry an operation until it
//!   stops answering `EAGAIN`. [`Runtime::sleep`] and
//!   [`Runtime::timeout`] wait on the runtime's [`TimerSet`]. Wakers are
//!   kept per source and direction (one task waits per direction) and per
//!   timer, in fixed capacity: `N` sources and `N` timers.
//! * **Executor.** [`Runtime::block_on`] runs one future to completion,
//!   sleeping in `epoll_wait` until a readiness, a deadline or a wake-up
//!   from another thread (an [`EventFd`]) comes. A [`TaskSet`] holds up to
//!   `N` futures of one type, pinned in place (no `Box`), spawned from
//!   anywhere on the runtime's thread, including from inside its tasks;
//!   each is polled only when woken, and never after it completes.
//!
//! Why a `static`: a [`Waker`] may be cloned and kept anywhere, on any
//! thread, for as long as its holder likes; without an allocator to count
//! references, the memory it points to must live for the whole program.
//! The runtime's wakers point into the runtime, which is `'static`. (In a
//! test or a program with std, `Box::leak(Box::new(Runtime::new()))` makes
//! one at run time.)
//!
//! # Example
//!
//! ```
//! use std::io::{Read, Write};
//! use std::os::unix::net::UnixStream;
//! use std::time::Duration;
//! use rawepoll_rt::Runtime;
//!
//! static RT: Runtime<8> = Runtime::new();
//!
//! let (a, b) = UnixStream::pair()?;
//! a.set_nonblocking(true)?;
//! b.set_nonblocking(true)?;
//! let got = RT.block_on(async {
//!     let a = RT.register(a)?;
//!     let b = RT.register(b)?;
//!     RT.sleep(Duration::from_millis(1)).await?;
//!     a.write_with(|s| (&*s).write(b"ping")).await?;
//!     let mut buf = [0u8; 4];
//!     let n = b.read_with(|s| (&*s).read(&mut buf)).await?;
//!     Ok::<_, std::io::Error>(buf[..n].to_vec())
//! })??;
//! assert_eq!(got, b"ping");
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Running inside tokio or async-io
//!
//! The runtime's [`epoll`](Runtime::epoll) is an fd like any other, and the
//! same open file for the runtime's whole life (what tokio asks of an fd
//! registered with its `AsyncFd`): it is readable when a source of the
//! runtime is ready or a wake-up came. Wait for that in the other runtime,
//! then call [`try_turn`](Runtime::try_turn), which wakes the tasks the
//! events are for and answers `EAGAIN` ("would block": clear the readiness
//! and wait again) when there was nothing. Deadlines are the caller's to
//! wait for there: [`Runtime::now`] and the `Sleep` futures' deadlines.
//!
//! # Features
//!
//! * `std`: std's fd types (`UnixStream`, `TcpStream`…) register directly
//!   and [`Errno`] converts into `std::io::Error` with `?` (rawepoll's
//!   `std` feature).
//!
//! [rawepoll]: https://docs.rs/rawepoll
//! [`TimerSet`]: rawepoll::TimerSet
//! [`EventFd`]: rawepoll::EventFd
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]
#![warn(clippy::pedantic)]
#![allow(
    clippy::cast_possible_truncation,
    reason = "slot indexes go into 32-bit token halves; a runtime has far fewer than 2^32 slots"
)]
// `unsafe` only in the `raw` folder (the wakers' vtables, the task set's
// storage), each block with its `// SAFETY:`.
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_debug_implementations)]

#[cfg(feature = "std")]
extern crate std;

mod combine;
mod io;
mod raw;
mod time;
mod traits;

use core::future::Future;
use core::pin::pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll, Waker};
use core::time::Duration;

use rawepoll::Errno;

use rawepoll::slab::Slab;
use rawepoll::EventFd;
use rawepoll::Events;
use rawepoll::Timeout;
use rawepoll::TimerSet;
use rawepoll::{Epoll, Result};
use rawepoll::{Interest, Token};
use rustix_futex_sync::Mutex as Lock;

pub use combine::{join, select, Either};
pub use io::{Async, Readiness, WouldBlock};
pub use raw::tasks::{Run, TaskSet, TaskSetFull};
pub use time::Sleep;
pub use traits::IoError;

use raw::wake::{Hub, TaskWake};

/// The token of the runtime's own eventfd (cross-thread wake-ups).
const NOTIFY: Token = Token(u64::MAX);
/// Readiness bits kept per source. READ and WRITE are cleared when an
/// operation finds the source drained or full; the CLOSED bits never are:
/// after end of file, a hang-up or an error no new edge comes, and every
/// wait from then on must complete at once.
const READ: u8 = 1;
const WRITE: u8 = 2;
const READ_CLOSED: u8 = 4;
const WRITE_CLOSED: u8 = 8;
/// Events read per `epoll_wait`.
const BATCH: usize = 32;
/// Polls of a future that keeps waking itself before the reactor gets a
/// turn anyway (no I/O starves behind a busy task).
const SPINS: u32 = 16;

/// A reactor and an executor for up to `N` sources, `N` timers and a
/// [`TaskSet`] of `N` tasks. See the [module docs](self).
///
/// # Example
///
/// ```
/// use std::time::{Duration, Instant};
/// use rawepoll_rt::Runtime;
///
/// static RT: Runtime<4> = Runtime::new();
///
/// let start = Instant::now();
/// let out = RT.block_on(async {
///     RT.sleep(Duration::from_millis(5)).await?;
///     Ok::<_, rawepoll::Errno>(7)
/// })??;
/// assert_eq!(out, 7);
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// # Ok::<(), rawepoll::Errno>(())
/// ```
pub struct Runtime<const N: usize> {
    hub: Hub,
    tasks: [TaskWake; N],
    /// Whether a `TaskSet` holds the task wake flags.
    tasks_claimed: AtomicBool,
    state: Lock<State<N>>,
}

/// What the reactor keeps, under the runtime's lock.
struct State<const N: usize> {
    sources: Slab<SourceSlot, N>,
    timers: TimerSet<Waker, N>,
}

/// What the reactor keeps of a registered source, in the slab under the
/// source's token.
struct SourceSlot {
    ready: u8,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

impl SourceSlot {
    /// The waker waiting for `direction` (`READ` or `WRITE`).
    fn waiter(&mut self, direction: u8) -> &mut Option<Waker> {
        if direction == READ {
            &mut self.reader
        } else {
            &mut self.writer
        }
    }
}

impl<const N: usize> Runtime<N> {
    /// A runtime with no epoll yet: it is created (`epoll_create1`, and an
    /// `eventfd` for cross-thread wake-ups) by the first call that needs
    /// it, so that `new` can be `const` and the runtime a `static`.
    ///
    /// # Example
    ///
    /// ```
    /// static RT: rawepoll_rt::Runtime<64> = rawepoll_rt::Runtime::new();
    /// assert_eq!(RT.block_on(async { 1 + 1 })?, 2);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Runtime {
            hub: Hub::new(),
            tasks: [const { TaskWake::new() }; N],
            tasks_claimed: AtomicBool::new(false),
            state: Lock::new(State {
                sources: Slab::new(),
                timers: TimerSet::new(),
            }),
        }
    }

    /// The runtime's epoll, created on first use (`epoll_create1(EPOLL_CLOEXEC)`,
    /// and an `eventfd` registered in it for wake-ups from other threads).
    ///
    /// For nesting the runtime in another event loop (tokio's `AsyncFd`,
    /// async-io's `Async`): it is readable when [`try_turn`](Self::try_turn)
    /// has something to do. The fd stays the same open file for the
    /// runtime's whole life, as tokio asks of an fd registered with it.
    ///
    /// # Errors
    ///
    /// `EMFILE`, `ENFILE`, `ENOMEM` from `epoll_create1` or `eventfd2`.
    ///
    /// # References
    ///  - [epoll_create1(2)](https://man7.org/linux/man-pages/man2/epoll_create1.2.html)
    ///  - [eventfd(2)](https://man7.org/linux/man-pages/man2/eventfd.2.html)
    pub fn epoll(&self) -> Result<&Epoll> {
        self.hub.epoll.get_or_try_init(|| {
            let epoll = Epoll::new()?;
            let notify = self.hub.notify.get_or_try_init(EventFd::new)?;
            epoll.add(notify, NOTIFY, Interest::READABLE)?;
            Ok(epoll)
        })
    }

    /// Runs `future` to completion on this thread: polls it, and between
    /// polls sleeps in `epoll_wait` (`epoll_pwait2` to the nanosecond for the
    /// next deadline) until a source it waits on is ready, a deadline
    /// passes, or a [`Waker`] is woken, from this thread or another (through
    /// the runtime's `eventfd`).
    ///
    /// # Errors
    ///
    /// * `EBUSY`: the runtime is already running a `block_on` (on this
    ///   thread, from inside a future, or on another one).
    /// * The errors of [`epoll`](Self::epoll) and of `epoll_wait` other
    ///   than `EINTR` (which is retried): the future is dropped.
    ///
    /// # Example
    ///
    /// ```
    /// static RT: rawepoll_rt::Runtime<4> = rawepoll_rt::Runtime::new();
    /// assert_eq!(RT.block_on(async { "done" })?, "done");
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// # References
    ///  - [epoll_wait(2)](https://man7.org/linux/man-pages/man2/epoll_wait.2.html)
    pub fn block_on<F: Future>(&'static self, future: F) -> Result<F::Output> {
        let _running = self.hub.enter()?;
        self.epoll()?;
        let mut future = pin!(future);
        let waker = self.hub.waker();
        let mut cx = Context::from_waker(&waker);
        self.hub.woken.store(true, Ordering::SeqCst);
        let mut spins = 0;
        loop {
            if self.hub.woken.swap(false, Ordering::SeqCst) {
                if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                    return Ok(out);
                }
                if self.hub.woken.load(Ordering::SeqCst) && spins < SPINS {
                    // Woken while being polled (a task woke another one):
                    // poll again before asking the kernel anything.
                    spins += 1;
                    continue;
                }
            }
            spins = 0;
            self.turn(true)?;
        }
    }

    /// One turn of the reactor without sleeping, for a runtime nested in
    /// another event loop: reads what is ready (`epoll_wait` with a zero
    /// timeout), wakes the tasks waiting for it and the timers that are
    /// due, and returns how many events and timers it handled.
    ///
    /// # Errors
    ///
    /// `EAGAIN` when nothing was ready: the "would block" that tokio's
    /// `AsyncFd::try_io` and async-io expect before they wait on
    /// [`epoll`](Self::epoll) again (with `std`, `io::Error::from(errno)` is
    /// `ErrorKind::WouldBlock`). Else the errors of `epoll_wait` other than
    /// `EINTR`.
    ///
    /// # References
    ///  - [epoll_wait(2)](https://man7.org/linux/man-pages/man2/epoll_wait.2.html)
    pub fn try_turn(&self) -> Result<usize> {
        match self.turn(false)? {
            0 => Err(Errno::AGAIN),
            n => Ok(n),
        }
    }

    /// Waits for events (up to the next deadline if `block`, else not at
    /// all), then wakes what they and the due timers are for. Wakers are
    /// called after the lock is released.
    fn turn(&self, block: bool) -> Result<usize> {
        let epoll = self.epoll()?;
        let mut events = Events::<BATCH>::new();
        let timeout = if block {
            self.state.lock().timers.timeout()
        } else {
            Timeout::ZERO
        };
        // Announce the sleep, then look once more for a wake-up that came
        // before the announcement (the waker's side: flag, then look at
        // `sleeping`): one of the two sees the other.
        let timeout = if block {
            self.hub.sleeping.store(true, Ordering::SeqCst);
            if self.hub.woken.load(Ordering::SeqCst) {
                Timeout::ZERO
            } else {
                timeout
            }
        } else {
            timeout
        };
        let result = epoll.wait(&mut events, timeout);
        self.hub.sleeping.store(false, Ordering::SeqCst);
        match result {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }

        let mut handled = 0;
        let mut wake: heapless::Vec<Waker, { 2 * BATCH }> = heapless::Vec::new();
        {
            let mut state = self.state.lock();
            for event in &events {
                handled += 1;
                if event.token() == NOTIFY {
                    if let Some(notify) = self.hub.notify.get() {
                        let _ = notify.drain();
                    }
                    continue;
                }
                let Some(slot) = state.sources.get_mut(event.token()) else {
                    continue; // deregistered since
                };
                let failed = event.is_error() || event.is_hangup();
                if event.is_read_closed() || failed {
                    slot.ready |= READ_CLOSED;
                }
                if failed {
                    slot.ready |= WRITE_CLOSED;
                }
                if event.is_readable() || event.is_read_closed() || event.is_priority() || failed {
                    slot.ready |= READ;
                    if let Some(w) = slot.reader.take() {
                        let _ = wake.push(w);
                    }
                }
                if event.is_writable() || failed {
                    slot.ready |= WRITE;
                    if let Some(w) = slot.writer.take() {
                        let _ = wake.push(w);
                    }
                }
            }
            // Due timers, under the same lock, as many as fit.
            handled += pop_expired(&mut state.timers, &mut wake);
        }
        loop {
            let full = wake.is_full();
            wake.drain(..).for_each(Waker::wake);
            if !full {
                return Ok(handled);
            }
            // More due timers than fitted: the next batch.
            handled += pop_expired(&mut self.state.lock().timers, &mut wake);
        }
    }

    /// The clock of the runtime's timers (`CLOCK_MONOTONIC`), as a
    /// [`Duration`] since an arbitrary start: the time base of
    /// [`sleep_until`](Self::sleep_until).
    pub fn now(&self) -> Duration {
        self.state.lock().timers.now()
    }
}

/// Moves the wakers of the timers that are due into `wake`, as many as it
/// has room for, and returns how many. No clock read when there is no
/// timer.
fn pop_expired<const N: usize, const W: usize>(
    timers: &mut TimerSet<Waker, N>,
    wake: &mut heapless::Vec<Waker, W>,
) -> usize {
    if timers.is_empty() {
        return 0;
    }
    let now = timers.now();
    let mut popped = 0;
    while !wake.is_full() {
        match timers.pop_expired(now) {
            Some((_, w)) => {
                let _ = wake.push(w);
                popped += 1;
            }
            None => break,
        }
    }
    popped
}

impl<const N: usize> Default for Runtime<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> core::fmt::Debug for Runtime<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.state.lock();
        f.debug_struct("Runtime")
            .field("capacity", &N)
            .field("sources", &state.sources.len())
            .field("timers", &state.timers.len())
            .field("epoll", &self.hub.epoll.get())
            .finish_non_exhaustive()
    }
}

/// The README's example, compiled and run as a doctest (it registers std's
/// `UnixStream`: feature `std`).
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
