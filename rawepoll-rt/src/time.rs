//! Timer futures on the runtime's [`TimerSet`](rawepoll::TimerSet).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use core::time::Duration;

use rawepoll::timer_set::TimerHandle;
use rawepoll::{Errno, Result};

use crate::{select, Either, Runtime};

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
    /// static RT: rawepoll_rt::Runtime<4> = rawepoll_rt::Runtime::new();
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
    /// static RT: rawepoll_rt::Runtime<4> = rawepoll_rt::Runtime::new();
    /// let never = core::future::pending::<()>();
    /// let out = RT.block_on(RT.timeout(Duration::from_millis(2), never))?;
    /// assert_eq!(out, Err(Errno::TIMEDOUT));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// The time starts now, not at the first poll. The future returned is
    /// `future` and a [`Sleep`] polled together, `future` first.
    ///
    /// # Errors
    ///
    /// Its output: `ETIMEDOUT` when `limit` passed first; `ENOSPC` when the
    /// runtime had no timer free for the deadline.
    pub fn timeout<F: Future>(
        &'static self,
        limit: Duration,
        future: F,
    ) -> impl Future<Output = Result<F::Output>> {
        // The sleep is made (its deadline fixed) now; `select` polls the
        // future first, as the docs promise.
        let sleep = self.sleep(limit);
        async move {
            match select(future, sleep).await {
                Either::Left(out) => Ok(out),
                Either::Right(Ok(())) => Err(Errno::TIMEDOUT),
                Either::Right(Err(e)) => Err(e),
            }
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

    /// Moves the deadline to `deadline` (on the clock of
    /// [`Runtime::now`]), earlier or later, as tokio's `Sleep::reset` and
    /// async-io's `Timer::set_at` do: an idle timeout pushed back on each
    /// message, without a new future. The timer already set in the
    /// runtime is moved in place (postponing is O(1)); a `Sleep` that has
    /// completed sleeps again when polled, until the new deadline.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// static RT: rawepoll_rt::Runtime<4> = rawepoll_rt::Runtime::new();
    /// let start = Instant::now();
    /// RT.block_on(async {
    ///     let mut idle = RT.sleep(Duration::from_secs(60));
    ///     idle.reset(RT.now() + Duration::from_millis(5)); // sooner
    ///     idle.await
    /// })??;
    /// assert!(start.elapsed() < Duration::from_secs(5));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    pub fn reset(&mut self, deadline: Duration) {
        self.deadline = deadline;
        if let Some(handle) = self.handle {
            if !self.runtime.state.lock().timers.reset_at(handle, deadline) {
                // The timer fired and was taken: the next poll sets it again.
                self.handle = None;
            }
        }
    }

    /// [`reset`](Self::reset) to `delay` from now.
    pub fn reset_after(&mut self, delay: Duration) {
        self.reset(self.runtime.now().saturating_add(delay));
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
