//! Sources registered with a runtime, and the futures that wait for their
//! readiness.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use rawepoll::registry::InsertError;
use rawepoll::{AsFd, Errno, Interest, Result, Token};

use crate::{Runtime, SourceSlot, READ, READ_CLOSED, WRITE, WRITE_CLOSED};

/// An error that may mean "try again when ready": `EAGAIN` for [`Errno`],
/// `ErrorKind::WouldBlock` for `std::io::Error` (feature `std`).
pub trait WouldBlock {
    /// Whether the operation would have blocked.
    fn would_block(&self) -> bool;
}

impl WouldBlock for Errno {
    #[inline]
    fn would_block(&self) -> bool {
        *self == Errno::AGAIN
    }
}

#[cfg(feature = "std")]
impl WouldBlock for std::io::Error {
    #[inline]
    fn would_block(&self) -> bool {
        self.kind() == std::io::ErrorKind::WouldBlock
    }
}

/// A non-blocking source registered with a [`Runtime`]: it owns the source
/// and deregisters it when dropped (`epoll_ctl(EPOLL_CTL_DEL)`), then
/// drops it (closes it, for an owned fd).
///
/// Registered edge-triggered for reading and writing at once. The runtime
/// remembers each direction's readiness until an operation answers
/// `EAGAIN` ([`read_with`](Self::read_with) and
/// [`write_with`](Self::write_with) clear it then), so no readiness is lost
/// between the kernel's edge and the task that acts on it. One task waits
/// per direction: a second waiter in the same direction takes the place of
/// the first, which is woken (and, polled again, takes it back: no wake-up
/// is lost, but two tasks reading one socket take turns by spinning).
///
/// # Example
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use rawepoll_rt::Runtime;
///
/// static RT: Runtime<4> = Runtime::new();
///
/// let (a, mut b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// let n = RT.block_on(async {
///     let a = RT.register(a)?;
///     b.write_all(b"hi")?; // `b` is blocking: a plain write
///     let mut buf = [0u8; 8];
///     a.read_with(|s| (&*s).read(&mut buf)).await
/// })??;
/// assert_eq!(n, 2);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Async<S: AsFd, const N: usize> {
    runtime: &'static Runtime<N>,
    /// Its token in the runtime's epoll and its slot in the runtime.
    token: Token,
    /// A byte stream (a stream socket or a pipe): a short read there means
    /// the source is drained. Not for datagrams and other messages, where
    /// a short read is one whole message and more may be queued.
    stream: bool,
    source: S,
}

/// Whether a short read on `fd` means it is drained: true for stream
/// sockets (`getsockopt(SO_TYPE)`) and pipes/FIFOs (`fstat`), false for
/// message-based sources (datagram and seqpacket sockets, eventfd, timerfd,
/// signalfd, inotify…) and anything not known to be a byte stream.
fn is_byte_stream(fd: rawepoll::BorrowedFd<'_>) -> bool {
    match rustix::net::sockopt::socket_type(fd) {
        Ok(kind) => kind == rustix::net::SocketType::STREAM,
        Err(_) => rustix::fs::fstat(fd).is_ok_and(|st| {
            rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::Fifo
        }),
    }
}

impl<const N: usize> Runtime<N> {
    /// `epoll_ctl(EPOLL_CTL_ADD)`—Makes `source` non-blocking
    /// (`ioctl(FIONBIO)`), registers it for readiness in both directions,
    /// edge-triggered, and returns it wrapped in an [`Async`].
    ///
    /// Non-blocking, because a blocking fd would stall the whole runtime
    /// (its tasks and timers) in the `read` that finds it drained, as
    /// async-io's `Async::new` also ensures. The flag belongs to the open
    /// file description: a `dup` of the fd becomes non-blocking too.
    /// Registration also learns whether the source is a byte stream (a
    /// stream socket or a pipe: `getsockopt(SO_TYPE)`, `fstat`), which
    /// [`read`](Async::read) needs: three system calls per registration,
    /// none per read.
    ///
    /// # Errors
    ///
    /// The source is handed back in the error, untouched but for the
    /// non-blocking flag, as [`Registry::insert`](rawepoll::Registry::insert)
    /// does (`?` turns it into its errno, or an `io::Error` with `std`, and
    /// closes it):
    ///
    /// * [`InsertError::Full`] (`ENOSPC`): `N` sources are registered
    ///   already; register fewer or use a larger `N`.
    /// * [`InsertError::Errno`] with the errors of `ioctl(FIONBIO)`
    ///   (`EBADF`, `ENOTTY`: an fd that cannot be made non-blocking),
    ///   of [`Epoll::add`](rawepoll::Epoll::add) (`EEXIST`: already in this
    ///   epoll; `EPERM`: a regular file; `ENOMEM`; `ENOSPC`:
    ///   `max_user_watches`), and of `epoll_create1` when the runtime's
    ///   epoll is made now.
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    pub fn register<S: AsFd>(
        &'static self,
        source: S,
    ) -> core::result::Result<Async<S, N>, InsertError<S>> {
        let epoll = match self.epoll() {
            Ok(epoll) => epoll,
            Err(e) => return Err(InsertError::Errno(e, source)),
        };
        if let Err(e) = rawepoll::set_nonblocking(source.as_fd(), true) {
            return Err(InsertError::Errno(e, source));
        }
        let stream = is_byte_stream(source.as_fd());
        let mut state = self.state.lock();
        let Some(token) = state.sources.next_token() else {
            return Err(InsertError::Full(source));
        };
        if let Err(e) = epoll.add(
            &source,
            token,
            Interest::READABLE | Interest::WRITABLE | Interest::READ_CLOSED | Interest::EDGE,
        ) {
            return Err(InsertError::Errno(e, source));
        }
        let slot = SourceSlot {
            ready: 0,
            reader: None,
            writer: None,
        };
        if state.sources.insert(slot).is_err() {
            // Unreachable: next_token found the slot free.
            return Err(InsertError::Full(source));
        }
        Ok(Async {
            runtime: self,
            token,
            stream,
            source,
        })
    }
}

impl<S: AsFd, const N: usize> Async<S, N> {
    /// The source.
    pub fn get_ref(&self) -> &S {
        &self.source
    }

    /// Waits until the source is readable (or at end of file, or failed):
    /// at once if the runtime saw it so since the last `EAGAIN`, and always
    /// at once after end of file, a hang-up or an error.
    pub fn readable(&self) -> Readiness<'_, S, N> {
        self.readiness(READ)
    }

    /// Waits until the source is writable (or failed): at once if the
    /// runtime saw it so since the last `EAGAIN`.
    pub fn writable(&self) -> Readiness<'_, S, N> {
        self.readiness(WRITE)
    }

    fn readiness(&self, direction: u8) -> Readiness<'_, S, N> {
        Readiness {
            source: self,
            direction,
            waker: None,
        }
    }

    /// Polls for readability, for poll-based code (an `AsyncRead`
    /// implementation): `Ready` when [`readable`](Self::readable) would
    /// complete at once; else `cx`'s waker is left with the runtime until
    /// the source is readable (or another waker takes its place, which
    /// wakes it), and `Pending`. Unlike the future of `readable`, nothing
    /// takes the waker back if the caller stops polling: it may be woken
    /// once for nothing.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_ready(READ, cx)
    }

    /// Polls for writability: see [`poll_readable`](Self::poll_readable).
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_ready(WRITE, cx)
    }

    /// Ready if the runtime saw the source ready for `direction` (or
    /// closed); else leaves `cx`'s waker for it.
    fn poll_ready(&self, direction: u8, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.runtime.state.lock();
        let Some(slot) = state.sources.get_mut(self.token) else {
            // Unreachable while the Async lives: its slot is its own.
            return Poll::Ready(());
        };
        let closed = if direction == READ {
            READ_CLOSED
        } else {
            WRITE_CLOSED
        };
        if slot.ready & (direction | closed) != 0 {
            return Poll::Ready(());
        }
        let place = slot.waiter(direction);
        let displaced = match place {
            Some(w) if w.will_wake(cx.waker()) => None,
            _ => place.replace(cx.waker().clone()),
        };
        drop(state);
        // Another task's waker (not this one's: `will_wake` said so).
        if let Some(other) = displaced {
            other.wake();
        }
        Poll::Pending
    }

    /// One `read(2)`: `None` when it would block (the readiness is
    /// forgotten) or was interrupted (try again), else its answer. On a
    /// byte stream a short read forgets the readiness too (see
    /// [`read`](Self::read)).
    fn try_read(&self, buf: &mut [u8]) -> Option<Result<usize>> {
        match rustix::io::read(&self.source, &mut *buf) {
            Ok(n) => {
                if self.stream && n < buf.len() && n > 0 {
                    self.clear(READ);
                }
                Some(Ok(n))
            }
            Err(Errno::AGAIN) => {
                self.clear(READ);
                None
            }
            Err(Errno::INTR) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// One `write(2)`: as [`try_read`](Self::try_read); a short write
    /// filled the buffer and forgets the writability.
    fn try_write(&self, buf: &[u8]) -> Option<Result<usize>> {
        match rustix::io::write(&self.source, buf) {
            Ok(n) => {
                if n < buf.len() {
                    self.clear(WRITE);
                }
                Some(Ok(n))
            }
            Err(Errno::AGAIN) => {
                self.clear(WRITE);
                None
            }
            Err(Errno::INTR) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Forgets that the source was readable: the next
    /// [`readable`](Self::readable) waits for a new edge. For operations
    /// other than `read_with`'s that answered `EAGAIN`. End of file, a
    /// hang-up or an error is not forgotten (no new edge would come for
    /// it): `readable` completes at once after one.
    pub fn clear_readable(&self) {
        self.clear(READ);
    }

    /// Forgets that the source was writable (see
    /// [`clear_readable`](Self::clear_readable)).
    pub fn clear_writable(&self) {
        self.clear(WRITE);
    }

    fn clear(&self, direction: u8) {
        if let Some(slot) = self.runtime.state.lock().sources.get_mut(self.token) {
            slot.ready &= !direction;
        }
    }

    /// `read(2)` on the source, waiting first until it is readable: the
    /// bytes read (0 at end of file).
    ///
    /// On a byte stream (a stream socket or a pipe), a short read (fewer
    /// bytes than `buf` holds) drained the source, so the runtime forgets
    /// its readiness then and there (the next call waits for a new edge)
    /// instead of learning it from one more `read` answering `EAGAIN`: one
    /// system call fewer per message, as tokio does. The kernel reports
    /// every arrival of new data as a new edge, so none is missed. On
    /// anything else (datagram and seqpacket sockets, eventfd, inotify…) a
    /// short read is one whole message and more may be queued with no new
    /// edge to come: the readiness is kept until a read answers `EAGAIN`.
    ///
    /// # Errors
    ///
    /// The errors of `read(2)` other than `EAGAIN` (waited for) and `EINTR`
    /// (retried): `ECONNRESET`, `EBADF`, `EINVAL`, `EIO`…
    ///
    /// # References
    ///  - [read(2)](https://man7.org/linux/man-pages/man2/read.2.html)
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize> {
        loop {
            self.readable().await;
            if let Some(answer) = self.try_read(buf) {
                return answer;
            }
        }
    }

    /// `write(2)` on the source, waiting first until it is writable: the
    /// bytes written, which may be fewer than `buf` holds. A short write
    /// filled the buffer, so the runtime forgets the writability then (see
    /// [`read`](Self::read)).
    ///
    /// # Errors
    ///
    /// The errors of `write(2)` other than `EAGAIN` (waited for) and
    /// `EINTR` (retried): `EPIPE` (the peer is gone; the `SIGPIPE` that
    /// comes with it kills a process that does not ignore or block it: std
    /// programs ignore it), `ECONNRESET`, `EBADF`…
    ///
    /// # References
    ///  - [write(2)](https://man7.org/linux/man-pages/man2/write.2.html)
    pub async fn write(&self, buf: &[u8]) -> Result<usize> {
        loop {
            self.writable().await;
            if let Some(answer) = self.try_write(buf) {
                return answer;
            }
        }
    }

    /// Runs `op` on the source until it does not answer "would block"
    /// (`EAGAIN`, or `WouldBlock` with std), waiting for readability in
    /// between. For `read`, `recv`, `accept`…
    ///
    /// # Errors
    ///
    /// The first error of `op` that is not "would block".
    pub async fn read_with<R, E: WouldBlock>(
        &self,
        op: impl FnMut(&S) -> core::result::Result<R, E>,
    ) -> core::result::Result<R, E> {
        self.retry(READ, op).await
    }

    /// Runs `op` on the source until it does not answer "would block",
    /// waiting for writability in between. For `write`, `send`, `connect`…
    ///
    /// # Errors
    ///
    /// The first error of `op` that is not "would block".
    pub async fn write_with<R, E: WouldBlock>(
        &self,
        op: impl FnMut(&S) -> core::result::Result<R, E>,
    ) -> core::result::Result<R, E> {
        self.retry(WRITE, op).await
    }

    /// `read_with` and `write_with`: `op` until it does not answer "would
    /// block", forgetting the readiness in `direction` and waiting for it
    /// again each time it does.
    async fn retry<R, E: WouldBlock>(
        &self,
        direction: u8,
        mut op: impl FnMut(&S) -> core::result::Result<R, E>,
    ) -> core::result::Result<R, E> {
        loop {
            match op(self.get_ref()) {
                Err(e) if e.would_block() => {
                    self.clear(direction);
                    self.readiness(direction).await;
                }
                other => return other,
            }
        }
    }
}

impl<S: AsFd, const N: usize> Drop for Async<S, N> {
    /// `epoll_ctl(EPOLL_CTL_DEL)`, then the slot is freed: an event still
    /// queued for it is recognised as stale (its token's generation) and
    /// ignored.
    fn drop(&mut self) {
        if let Some(epoll) = self.runtime.hub.epoll.get() {
            let _ = epoll.delete(&self.source);
        }
        // Wakers left by futures that were forgotten rather than dropped
        // go with the slot, dropped outside the lock.
        let slot = self.runtime.state.lock().sources.remove(self.token);
        drop(slot);
    }
}

impl<S: AsFd + fmt::Debug, const N: usize> fmt::Debug for Async<S, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Async")
            .field("source", &self.source)
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// The future of [`Async::readable`] and [`Async::writable`]. Dropped
/// before it completes, it withdraws its waker: nothing is woken for it
/// later.
#[must_use = "futures do nothing unless polled"]
pub struct Readiness<'a, S: AsFd, const N: usize> {
    source: &'a Async<S, N>,
    direction: u8,
    /// The waker left with the runtime, if any.
    waker: Option<Waker>,
}

impl<S: AsFd, const N: usize> Future for Readiness<'_, S, N> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        match this.source.poll_ready(this.direction, cx) {
            Poll::Ready(()) => {
                this.waker = None;
                Poll::Ready(())
            }
            Poll::Pending => {
                // Kept, so that dropping the future takes it back.
                this.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<S: AsFd, const N: usize> Drop for Readiness<'_, S, N> {
    fn drop(&mut self) {
        let Some(mine) = self.waker.take() else {
            return;
        };
        let mut state = self.source.runtime.state.lock();
        if let Some(slot) = state.sources.get_mut(self.source.token) {
            let place = slot.waiter(self.direction);
            if place.as_ref().is_some_and(|w| w.will_wake(&mine)) {
                *place = None;
            }
        }
    }
}

impl<S: AsFd, const N: usize> fmt::Debug for Readiness<'_, S, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Readiness")
            .field(
                "direction",
                &if self.direction == READ {
                    "read"
                } else {
                    "write"
                },
            )
            .field("waiting", &self.waker.is_some())
            .finish()
    }
}

/// std's poll-based I/O traits (futures-io, used by smol, async-std,
/// futures-lite), with the `std` feature: [`Async::read`] and
/// [`Async::write`] in poll form.
#[cfg(feature = "std")]
impl<S: AsFd, const N: usize> futures_io::AsyncRead for Async<S, N> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        loop {
            if self.poll_readable(cx).is_pending() {
                return Poll::Pending;
            }
            if let Some(answer) = self.try_read(buf) {
                return Poll::Ready(answer.map_err(std::io::Error::from));
            }
        }
    }
}

/// See the `AsyncRead` implementation; `flush` and `close` have nothing to
/// do (every byte written went to the kernel; dropping the `Async` closes
/// the source).
#[cfg(feature = "std")]
impl<S: AsFd, const N: usize> futures_io::AsyncWrite for Async<S, N> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        loop {
            if self.poll_writable(cx).is_pending() {
                return Poll::Pending;
            }
            if let Some(answer) = self.try_write(buf) {
                return Poll::Ready(answer.map_err(std::io::Error::from));
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
