//! `join`, `select` and a `Sleep` whose deadline moves (`reset`).

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rawepoll_rt::{join, select, Either, Runtime};

fn debug_field(rt: &impl std::fmt::Debug, field: &str) -> usize {
    let s = format!("{rt:?}");
    let at = s.find(&format!("{field}: ")).unwrap() + field.len() + 2;
    s[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Wraps a future and fails the test if it is polled after completing.
struct Fused<F> {
    inner: Pin<Box<F>>,
    done: bool,
    polls: std::rc::Rc<Cell<u32>>,
}

impl<F: Future> Future for Fused<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        assert!(!self.done, "polled after it completed");
        self.polls.set(self.polls.get() + 1);
        let out = self.inner.as_mut().poll(cx);
        self.done = out.is_ready();
        out
    }
}

fn fused<F: Future>(f: F, polls: &std::rc::Rc<Cell<u32>>) -> Fused<F> {
    Fused {
        inner: Box::pin(f),
        done: false,
        polls: std::rc::Rc::clone(polls),
    }
}

#[test]
fn join_waits_for_both_and_never_polls_a_finished_one_again() {
    static RT: Runtime<4> = Runtime::new();
    let (pa, pb) = (std::rc::Rc::default(), std::rc::Rc::default());
    let start = Instant::now();
    let (a, b) = RT
        .block_on(join(
            fused(
                async {
                    RT.sleep(Duration::from_millis(30)).await.unwrap();
                    "slow"
                },
                &pa,
            ),
            fused(
                async {
                    for _ in 0..3 {
                        RT.sleep(Duration::from_millis(1)).await.unwrap();
                    }
                    "fast"
                },
                &pb,
            ),
        ))
        .unwrap();
    assert_eq!((a, b), ("slow", "fast"));
    assert!(start.elapsed() >= Duration::from_millis(30));
    // `fast` finished first and was not polled again while `slow` slept.
    assert_eq!(pb.get(), 4);
    assert_eq!(debug_field(&RT, "timers"), 0);
}

#[test]
fn select_returns_the_first_and_drops_the_other_with_its_timer() {
    static RT: Runtime<4> = Runtime::new();
    let out = RT
        .block_on(async {
            let first = select(
                RT.sleep(Duration::from_secs(60)),
                RT.sleep(Duration::from_millis(2)),
            )
            .await;
            // The 60 s sleep was dropped inside select: its timer is gone.
            (
                matches!(first, Either::Right(Ok(()))),
                debug_field(&RT, "timers"),
            )
        })
        .unwrap();
    assert_eq!(out, (true, 0));
}

#[test]
fn select_is_biased_to_its_first_future() {
    static RT: Runtime<4> = Runtime::new();
    let first = RT.block_on(select(async { 1 }, async { 2 })).unwrap();
    assert_eq!(first, Either::Left(1));
    // Pending first, ready second: the second wins.
    let first = RT
        .block_on(select(poll_fn(|_| Poll::<u8>::Pending), async { 2 }))
        .unwrap();
    assert_eq!(first, Either::Right(2));
}

#[test]
fn a_sleep_reset_earlier_later_and_after_it_completed() {
    static RT: Runtime<4> = Runtime::new();
    RT.block_on(async {
        // Earlier: a 60 s sleep moved to 5 ms from now, after a first poll
        // set its timer in the runtime.
        let start = Instant::now();
        let mut sleep = RT.sleep(Duration::from_secs(60));
        let polled = select(&mut sleep, async {}).await;
        assert!(matches!(polled, Either::Right(())));
        sleep.reset_after(Duration::from_millis(5));
        (&mut sleep).await.unwrap();
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(5) && took < Duration::from_secs(30),
            "{took:?}"
        );

        // Later: 5 ms moved to 40 ms.
        let start = Instant::now();
        let mut sleep = RT.sleep(Duration::from_millis(5));
        let _ = select(&mut sleep, async {}).await;
        sleep.reset_after(Duration::from_millis(40));
        (&mut sleep).await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(40));

        // After completing: it sleeps again until the new deadline.
        let start = Instant::now();
        sleep.reset_after(Duration::from_millis(10));
        sleep.await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(10));
        assert_eq!(debug_field(&RT, "timers"), 0);
    })
    .unwrap();
}
