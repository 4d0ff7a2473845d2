//! Timer futures on the runtime's [`TimerSet`](crate::TimerSet).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use rustix::io::Errno;

use super::Runtime;
use crate::timer_set::TimerHandle;
use crate::Result;

impl<const N: usize> Runtime<N> {
    /// A future that completes `delay` from now. No system call: the
    /// deadline goes into the runtime's timer set, whose earliest deadline
    /// is the timeout of the runtime's next `epoll_wait`.
    ///
    /// Its output is `Err(ENOSPC)` when the `N` timers of the runtime are
    /// all in use.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// static RT: rawepoll::rt::Runtime<4> = rawepoll::rt::Runtime::new();
    /// RT.block_on(RT.sleep(Duration::from_millis(2)))??;
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    pub fn sleep(&'static self, delay: Duration) -> Sleep<N> {
        self.sleep_until(self.now().saturating_add(delay))
    }

    /// A future that completes at `deadline`, on the clock of
    /// [`now`](Self::now). See [`sleep`](Self::sleep).
    pub fn sleep_until(&'static self, deadline: Duration) -> Sleep<N> {
        Sleep {
            runtime: self,
            deadline,
            handle: None,
        }
    }

    /// `future`, or `Err(ETIMEDOUT)` if it has not completed `limit` from
    /// now (it is then dropped). `Err(ENOSPC)` if no timer is free.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// use rawepoll::Errno;
    /// static RT: rawepoll::rt::Runtime<4> = rawepoll::rt::Runtime::new();
    /// let never = core::future::pending::<()>();
    /// let out = RT.block_on(RT.timeout(Duration::from_millis(2), never))?;
    /// assert_eq!(out, Err(Errno::TIMEDOUT));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    pub fn timeout<F: Future>(&'static self, limit: Duration, future: F) -> WithTimeout<F, N> {
        WithTimeout {
            future,
            sleep: self.sleep(limit),
        }
    }
}

/// The future of [`Runtime::sleep`]. Dropped before its deadline, it
/// cancels its timer.
#[must_use = "futures do nothing unless polled"]
pub struct Sleep<const N: usize> {
    runtime: &'static Runtime<N>,
    deadline: Duration,
    handle: Option<TimerHandle>,
}

impl<const N: usize> Sleep<N> {
    /// The deadline, on the clock of [`Runtime::now`].
    #[must_use]
    pub fn deadline(&self) -> Duration {
        self.deadline
    }
}

impl<const N: usize> Future for Sleep<N> {
    type Output = Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let this = self.get_mut();
        let mut state = this.runtime.state.lock();
        let timers = &mut state.timers;
        if timers.now() >= this.deadline {
            if let Some(handle) = this.handle.take() {
                let waker = timers.cancel(handle);
                drop(state);
                drop(waker);
            }
            return Poll::Ready(Ok(()));
        }
        if let Some(waker) = this.handle.and_then(|h| timers.get_mut(h)) {
            if !waker.will_wake(cx.waker()) {
                waker.clone_from(cx.waker());
            }
            return Poll::Pending;
        }
        // First poll, or the timer fired (and was taken) while the clock
        // read just now is still short of the deadline: set it again.
        match timers.insert_at(this.deadline, cx.waker().clone()) {
            Ok(handle) => {
                this.handle = Some(handle);
                Poll::Pending
            }
            Err(full) => {
                drop(state);
                drop(full);
                this.handle = None;
                Poll::Ready(Err(Errno::NOSPC))
            }
        }
    }
}

impl<const N: usize> Drop for Sleep<N> {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            let waker = self.runtime.state.lock().timers.cancel(handle);
            drop(waker);
        }
    }
}

impl<const N: usize> fmt::Debug for Sleep<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("armed", &self.handle.is_some())
            .finish_non_exhaustive()
    }
}

/// The future of [`Runtime::timeout`].
#[must_use = "futures do nothing unless polled"]
pub struct WithTimeout<F, const N: usize> {
    future: F,
    sleep: Sleep<N>,
}

impl<F: Future, const N: usize> Future for WithTimeout<F, N> {
    type Output = Result<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: `future` is never moved out of a pinned `WithTimeout`
        // (structural pinning: no `Unpin` impl lets it move, and `Drop` is
        // not implemented on `WithTimeout`); `sleep` is `Unpin` and not
        // pinned.
        #[allow(unsafe_code)]
        let (future, sleep) = unsafe {
            let this = self.get_unchecked_mut();
            (Pin::new_unchecked(&mut this.future), &mut this.sleep)
        };
        if let Poll::Ready(out) = future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        match Pin::new(sleep).poll(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Err(Errno::TIMEDOUT)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F, const N: usize> fmt::Debug for WithTimeout<F, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithTimeout")
            .field("sleep", &self.sleep)
            .finish_non_exhaustive()
    }
}
