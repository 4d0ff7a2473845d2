//! The executor's `unsafe` building blocks (`src/raw/`: the task set's
//! in-place storage and the wakers' vtables), driven without the reactor:
//! no epoll is ever made (the runtime creates it only on first use), so
//! these run under Miri too (`cargo +nightly miri test -p rawepoll-rt
//! --test task_storage`, in CI), which checks the aliasing and pinning
//! arguments of the `// SAFETY:` comments instead of only reading them.
//!
//! `Run` is polled by hand, with a waker that counts: tasks that wake
//! themselves, tasks woken from other threads, a full set handing the
//! future back, tasks dropped in place when they complete or when the set
//! goes.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use rawepoll_rt::{Runtime, TaskSet};

/// Counts the wake-ups of the future that polls the set (the part of
/// `block_on` this test plays).
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future that is pending `n` times, waking itself each time, then done;
/// `dropped` counts its drop (in place, by the set).
struct Yields {
    left: u32,
    polls: Rc<Cell<u32>>,
    dropped: Rc<Cell<u32>>,
}

impl Future for Yields {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        if self.left == 0 {
            return Poll::Ready(());
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl Drop for Yields {
    fn drop(&mut self) {
        self.dropped.set(self.dropped.get() + 1);
    }
}

#[test]
fn tasks_that_wake_themselves_run_to_completion_and_are_dropped_in_place() {
    static RT: Runtime<4> = Runtime::new();
    let (polls, dropped) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let set = pin!(TaskSet::new(&RT).unwrap());
    let set = set.into_ref();
    for left in [0, 1, 3] {
        let task = Yields {
            left,
            polls: Rc::clone(&polls),
            dropped: Rc::clone(&dropped),
        };
        set.spawn(task).map_err(|e| e.errno()).unwrap();
    }
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&counter));
    let mut cx = Context::from_waker(&waker);
    let mut run = pin!(set.run());
    let mut passes = 0;
    while run.as_mut().poll(&mut cx).is_pending() {
        passes += 1;
        assert!(passes < 10, "the tasks never finished");
    }
    // Each task is polled once more than it yields; each dropped once.
    assert_eq!(polls.get(), 1 + 2 + 4);
    assert_eq!(dropped.get(), 3);
    assert!(set.is_empty());
}

#[test]
fn wakers_cloned_and_woken_from_other_threads_reach_their_task() {
    static RT: Runtime<8> = Runtime::new();
    let parked: Arc<Mutex<Vec<Waker>>> = Arc::default();
    let done = Rc::new(Cell::new(0));
    let set = pin!(TaskSet::new(&RT).unwrap());
    let set = set.into_ref();
    let make = |id: usize| {
        let parked = Arc::clone(&parked);
        let done = Rc::clone(&done);
        let mut waited = false;
        async move {
            poll_fn(|cx| {
                if waited {
                    return Poll::Ready(());
                }
                waited = true;
                // A clone kept elsewhere, the original dropped.
                parked.lock().unwrap().push(cx.waker().clone());
                Poll::Pending
            })
            .await;
            done.set(done.get() + id);
        }
    };
    for id in 1..=6 {
        set.spawn(make(id)).map_err(|e| e.errno()).unwrap();
    }
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&counter));
    let mut cx = Context::from_waker(&waker);
    let mut run = pin!(set.run());
    assert!(run.as_mut().poll(&mut cx).is_pending());
    assert_eq!(parked.lock().unwrap().len(), 6);
    // Nothing woken: a pass polls nothing.
    assert!(run.as_mut().poll(&mut cx).is_pending());
    assert_eq!(done.get(), 0);
    // Wake them from two other threads, by value and by reference.
    let wakers: Vec<Waker> = parked.lock().unwrap().drain(..).collect();
    let (odd, even): (Vec<_>, Vec<_>) = wakers
        .into_iter()
        .enumerate()
        .partition(|(i, _)| i % 2 == 1);
    let a = std::thread::spawn(move || odd.into_iter().for_each(|(_, w)| w.wake()));
    let b = std::thread::spawn(move || {
        for (_, w) in even {
            w.wake_by_ref();
            drop(w.clone());
        }
    });
    a.join().unwrap();
    b.join().unwrap();
    assert!(run.as_mut().poll(&mut cx).is_ready());
    assert_eq!(done.get(), 1 + 2 + 3 + 4 + 5 + 6);
}

#[test]
fn a_full_set_hands_the_future_back_and_a_dropped_set_drops_what_is_left() {
    static RT: Runtime<4> = Runtime::new();
    let (polls, dropped) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    {
        let set = pin!(TaskSet::new(&RT).unwrap());
        let set = set.into_ref();
        let forever = |polls: &Rc<Cell<u32>>, dropped: &Rc<Cell<u32>>| Yields {
            left: u32::MAX,
            polls: Rc::clone(polls),
            dropped: Rc::clone(dropped),
        };
        set.spawn(forever(&polls, &dropped))
            .map_err(|e| e.errno())
            .unwrap();
        let counter = Arc::new(Counter::default());
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        let mut run = pin!(set.run());
        for _ in 0..3 {
            assert!(run.as_mut().poll(&mut cx).is_pending());
            // Spawned from outside a task; the set is full at 4.
            let _ = set.spawn(forever(&polls, &dropped));
        }
        assert_eq!(set.len(), 4);
        assert!(set.spawn(forever(&polls, &dropped)).is_err());
        // The refused future was handed back and dropped here, not lost.
        assert_eq!(dropped.get(), 1);
    }
    // The set went out of scope with 4 pending tasks: each dropped once.
    assert_eq!(dropped.get(), 5);
    // The runtime is free for a new set.
    assert!(TaskSet::<Yields, 4>::new(&RT).is_ok());
}
