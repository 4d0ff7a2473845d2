//! Waiting on several futures at once, with no allocation: [`join`] (all
//! of them) and [`select`] (the first). For three or more, nest them:
//! `join(a, join(b, c))`, `select(a, select(b, c))`.

use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::Poll;

/// The output of [`select`]: which future completed first, with its
/// output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Either<A, B> {
    /// The first future (`a`) completed first.
    Left(A),
    /// The second future (`b`) completed first.
    Right(B),
}

/// Runs `a` and `b` together until both have completed; their outputs.
///
/// Each is polled when the task is woken, until it completes, and never
/// after: the one that finishes first waits, finished, for the other. Both
/// live in the returned future (pinned there), so nothing is allocated.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use rawepoll_rt::{join, Runtime};
/// static RT: Runtime<4> = Runtime::new();
/// let (a, b) = RT.block_on(join(
///     async { RT.sleep(Duration::from_millis(2)).await.map(|()| "slow") },
///     async { "fast" },
/// ))?;
/// assert_eq!((a?, b), ("slow", "fast"));
/// # Ok::<(), rawepoll::Errno>(())
/// ```
pub async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(move |cx| {
        if out_a.is_none() {
            if let Poll::Ready(out) = a.as_mut().poll(cx) {
                out_a = Some(out);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(out) = b.as_mut().poll(cx) {
                out_b = Some(out);
            }
        }
        match (out_a.take(), out_b.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (out_a, out_b) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

/// Runs `a` and `b` together until one completes; its output, and the
/// other is dropped (a dropped rawepoll-rt future leaves no waker, timer
/// or registration behind).
///
/// Biased: `a` is polled first each time, so when both are ready at once
/// `a` wins. Put the future that must not starve (a shutdown signal)
/// first.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use rawepoll_rt::{select, Either, Runtime};
/// static RT: Runtime<4> = Runtime::new();
/// let first = RT.block_on(select(
///     RT.sleep(Duration::from_secs(60)),
///     async { 7 },
/// ))?;
/// assert!(matches!(first, Either::Right(7)));
/// # Ok::<(), rawepoll::Errno>(())
/// ```
pub async fn select<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(move |cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(out));
        }
        if let Poll::Ready(out) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(out));
        }
        Poll::Pending
    })
    .await
}
