//! rawepoll-rt: readiness wakes exactly the task that
//! waits for it, once; dropped futures leave nothing behind; timers,
//! timeouts and cross-thread wake-ups; the task set's limits; a randomized
//! mix of all of them.
// std's I/O errors through read_with/write_with: the `std` feature
// (`cargo test --all-features`, as CI and the README run it).
#![cfg(feature = "std")]

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use rawepoll::Errno;
use rawepoll_rt::{Runtime, TaskSet};

/// A fresh runtime per test (tests run in parallel; a `static` would be
/// shared): leaked, so it is `'static` like a real one.
fn runtime<const N: usize>() -> &'static Runtime<N> {
    Box::leak(Box::new(Runtime::new()))
}

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    (a, b)
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

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

#[test]
fn a_readiness_wakes_only_the_task_waiting_for_it_and_once() {
    let rt = runtime::<16>();
    let polls: Vec<Cell<usize>> = (0..8).map(|_| Cell::new(0)).collect();
    let mut writers = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..8 {
        let (a, b) = pair();
        readers.push(rt.register(a).unwrap());
        writers.push(b);
    }
    let done = Cell::new(0);
    let tasks = pin!(TaskSet::new(rt).unwrap());
    let tasks = tasks.into_ref();
    async fn reader(
        source: &rawepoll_rt::Async<UnixStream, 16>,
        polls: &Cell<usize>,
        done: &Cell<usize>,
    ) {
        let mut buf = [0u8; 16];
        let mut readable = source.readable();
        poll_fn(|cx| {
            polls.set(polls.get() + 1);
            Pin::new(&mut readable).poll(cx)
        })
        .await;
        let n = source.read_with(|s| (&*s).read(&mut buf)).await.unwrap();
        assert_eq!(n, 1);
        done.set(done.get() + 1);
    }
    for (i, r) in readers.iter().enumerate() {
        tasks
            .spawn(reader(r, &polls[i], &done))
            .map_err(|e| e.errno())
            .unwrap();
    }
    rt.block_on(tasks.run_with(async {
        // Let every task poll once and wait.
        rt.sleep(Duration::from_millis(20)).await.unwrap();
        for p in &polls {
            assert_eq!(p.get(), 1);
        }
        // One readiness: task 3 alone is polled again, once.
        writers[3].write_all(b"x").unwrap();
        rt.sleep(Duration::from_millis(20)).await.unwrap();
        for (i, p) in polls.iter().enumerate() {
            assert_eq!(p.get(), if i == 3 { 2 } else { 1 }, "task {i}");
        }
        assert_eq!(done.get(), 1);
        for w in &mut writers {
            let _ = w.write_all(b"y");
        }
        writers[3].write_all(b"").unwrap();
    }))
    .unwrap();
    rt.block_on(tasks.run()).unwrap();
    assert_eq!(done.get(), 8);
    assert!(tasks.is_empty());
}

#[test]
fn a_future_dropped_mid_wait_leaves_nothing_registered() {
    let rt = runtime::<4>();
    let (a, mut b) = pair();
    let source = rt.register(a).unwrap();
    assert_eq!(debug_field(rt, "sources"), 1);
    let counter = Arc::new(Counter::default());
    let waker = Waker::from(Arc::clone(&counter));
    let mut cx = Context::from_waker(&waker);
    {
        let mut readable = source.readable();
        assert!(Pin::new(&mut readable).poll(&mut cx).is_pending());
        // Long enough that an emulated CPU (qemu-user) polls before the
        // deadline; the readiness and the deadline both come below.
        let mut sleep = rt.sleep(Duration::from_millis(50));
        assert!(Pin::new(&mut sleep).poll(&mut cx).is_pending());
        assert_eq!(debug_field(rt, "timers"), 1);
    } // both dropped here
    assert_eq!(debug_field(rt, "timers"), 0);
    b.write_all(b"x").unwrap();
    thread::sleep(Duration::from_millis(60));
    // The readiness and the deadline come, and nobody is woken for them.
    assert!(rt.try_turn().is_ok());
    assert_eq!(counter.0.load(Ordering::SeqCst), 0);
    drop(source);
    assert_eq!(debug_field(rt, "sources"), 0);
}

#[test]
fn try_turn_answers_eagain_when_nothing_is_ready() {
    let rt = runtime::<4>();
    assert_eq!(rt.try_turn(), Err(Errno::AGAIN));
    let err = std::io::Error::from(rt.try_turn().unwrap_err());
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
}

#[test]
fn sleep_and_timeout() {
    let rt = runtime::<4>();
    let start = Instant::now();
    rt.block_on(rt.sleep(Duration::from_millis(30)))
        .unwrap()
        .unwrap();
    let slept = start.elapsed();
    assert!(slept >= Duration::from_millis(30), "{slept:?}");
    let out = rt
        .block_on(rt.timeout(Duration::from_millis(10), std::future::pending::<()>()))
        .unwrap();
    assert_eq!(out, Err(Errno::TIMEDOUT));
    let out = rt
        .block_on(rt.timeout(Duration::from_secs(10), async { 5 }))
        .unwrap();
    assert_eq!(out, Ok(5));
    assert_eq!(debug_field(rt, "timers"), 0, "the timeout's timer is gone");
}

#[test]
fn more_sleeps_than_timers_answer_enospc() {
    let rt = runtime::<2>();
    let out = rt
        .block_on(async {
            let mut a = rt.sleep(Duration::from_millis(50));
            let mut b = rt.sleep(Duration::from_millis(50));
            let mut c = rt.sleep(Duration::from_millis(50));
            poll_fn(|cx| {
                let _ = Pin::new(&mut a).poll(cx);
                let _ = Pin::new(&mut b).poll(cx);
                Poll::Ready(Pin::new(&mut c).poll(cx))
            })
            .await
        })
        .unwrap();
    assert!(matches!(out, Poll::Ready(Err(Errno::NOSPC))), "{out:?}");
}

#[test]
fn a_waker_sent_to_another_thread_wakes_the_sleeping_runtime() {
    let rt = runtime::<4>();
    let slot: Arc<Mutex<(bool, Option<Waker>)>> = Arc::default();
    let remote = Arc::clone(&slot);
    let start = Instant::now();
    let waker_thread = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        let mut s = remote.lock().unwrap();
        s.0 = true;
        if let Some(w) = s.1.take() {
            w.wake();
        }
    });
    rt.block_on(poll_fn(|cx| {
        let mut s = slot.lock().unwrap();
        if s.0 {
            Poll::Ready(())
        } else {
            s.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }))
    .unwrap();
    waker_thread.join().unwrap();
    // Woken through the eventfd: not by a timeout (there is none).
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn block_on_inside_block_on_is_ebusy() {
    let rt = runtime::<4>();
    let inner = rt.block_on(async { rt.block_on(async {}) }).unwrap();
    assert_eq!(inner, Err(Errno::BUSY));
}

#[test]
fn the_task_set_refuses_beyond_capacity_and_a_second_set() {
    let rt = runtime::<2>();
    assert!(TaskSet::<std::future::Ready<()>, 2>::new(rt).is_ok());
    let ran = Cell::new(0);
    let tasks = pin!(TaskSet::new(rt).unwrap());
    let tasks = tasks.into_ref();
    // A second set on the same runtime while this one lives: EBUSY.
    assert_eq!(
        TaskSet::<std::future::Ready<()>, 2>::new(rt).unwrap_err(),
        Errno::BUSY
    );
    let count = |_: ()| async { ran.set(ran.get() + 1) };
    tasks.spawn(count(())).map_err(|e| e.errno()).unwrap();
    tasks.spawn(count(())).map_err(|e| e.errno()).unwrap();
    let full = tasks.spawn(count(())).unwrap_err();
    assert_eq!(full.errno(), Errno::NOSPC);
    drop(full.into_inner()); // handed back, never run
    rt.block_on(tasks.run()).unwrap();
    assert_eq!(ran.get(), 2);
}

/// Tasks of different types, and tasks that spawn tasks: a set of
/// `Pin<&mut dyn Future>` whose futures live elsewhere (here leaked; a
/// `static` or an outer `pin!` in a program).
#[test]
fn tasks_spawn_tasks_from_inside() {
    type Task = Pin<&'static mut dyn Future<Output = ()>>;
    let rt = runtime::<4>();
    let log: &'static Mutex<Vec<&str>> = Box::leak(Box::new(Mutex::new(Vec::new())));
    let tasks: Pin<&'static TaskSet<Task, 4>> =
        Pin::static_ref(Box::leak(Box::new(TaskSet::new(rt).unwrap())));
    let child: Task = Pin::static_mut(Box::leak(Box::new(async move {
        rt.sleep(Duration::from_millis(5)).await.unwrap();
        log.lock().unwrap().push("child");
    })));
    let mut child = Some(child);
    let parent: Task = Pin::static_mut(Box::leak(Box::new(async move {
        log.lock().unwrap().push("parent");
        tasks
            .spawn(child.take().unwrap())
            .map_err(|e| e.errno())
            .unwrap();
        assert_eq!(tasks.len(), 2); // itself and the child
    })));
    tasks.spawn(parent).map_err(|e| e.errno()).unwrap();
    rt.block_on(tasks.run()).unwrap();
    assert_eq!(*log.lock().unwrap(), ["parent", "child"]);
}

/// The last bytes and the end of file arrive in one edge: a short read
/// takes the bytes, and the end of file must still be seen, though no new
/// edge will ever come for it (the async echo server hung on this).
#[test]
fn end_of_file_behind_a_short_read_is_not_lost() {
    let rt = runtime::<4>();
    let (a, mut b) = pair();
    b.write_all(b"last").unwrap();
    drop(b); // end of file, right behind the data
    let got = rt
        .block_on(async {
            let a = rt.register(a).unwrap();
            let mut buf = [0u8; 16];
            let n = a.read(&mut buf).await.unwrap(); // short: 4 of 16
            let eof = rt.timeout(Duration::from_secs(5), a.read(&mut buf)).await;
            (n, eof)
        })
        .unwrap();
    assert_eq!(got, (4, Ok(Ok(0))));
}

/// `Async::write` and `Async::read` across a full socket buffer: short
/// writes wait for room, every byte arrives.
#[test]
fn read_and_write_through_a_full_buffer() {
    let rt = runtime::<4>();
    let (a, b) = pair();
    let total = 4 << 20;
    let got = rt
        .block_on(async {
            let a = rt.register(a).unwrap();
            let b = rt.register(b).unwrap();
            let writer = async {
                let data: Vec<u8> = (0..total).map(|i| (i % 251) as u8).collect();
                let mut at = 0;
                while at < data.len() {
                    at += a.write(&data[at..]).await.unwrap();
                }
                drop(a); // end of file
            };
            let mut writer = pin!(writer);
            let reader = async {
                let mut got = Vec::new();
                let mut buf = [0u8; 7000];
                loop {
                    match b.read(&mut buf).await.unwrap() {
                        0 => return got,
                        n => got.extend_from_slice(&buf[..n]),
                    }
                }
            };
            let mut reader = pin!(reader);
            let mut written = false;
            poll_fn(|cx| {
                written = written || writer.as_mut().poll(cx).is_ready();
                match reader.as_mut().poll(cx) {
                    Poll::Ready(got) if written => Poll::Ready(got),
                    Poll::Ready(_) => panic!("end of file before the writer was done"),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await
        })
        .unwrap();
    assert_eq!(got.len(), total);
    assert!(got.iter().enumerate().all(|(i, &x)| x == (i % 251) as u8));
}
