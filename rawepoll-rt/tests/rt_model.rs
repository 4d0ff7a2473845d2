//! A randomized model of rawepoll-rt: tasks that read their own socket
//! (some reads under a timeout that fires and cancels the wait), sleep,
//! and wait for wake-ups sent from another thread, while that thread
//! writes bytes and wakes them on its own schedule. Checked, for each seed:
//!
//! * no byte lost, duplicated or reordered (a cancelled read consumes
//!   nothing);
//! * no wake-up lost: every task finishes (the whole run is under a
//!   timeout);
//! * no task polled after it completed;
//! * a sleep never ends before its deadline;
//! * afterwards nothing is left in the runtime: no source, no timer.
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
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

use rawepoll::Errno;
use rawepoll_rt::{Runtime, TaskSet};

const TASKS: usize = 6;
static RT: Runtime<16> = Runtime::new();

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Clone, Copy, Debug)]
enum Step {
    /// Read the next byte; with a timeout in ms (which may fire first).
    Read(Option<u64>),
    /// The same through `Async::read` (which waits first and forgets the
    /// readiness after a short read) rather than `read_with`.
    ReadDirect(Option<u64>),
    /// Sleep this many µs.
    Sleep(u64),
    /// Wait until the other thread has woken this task this many times.
    Remote(usize),
}

/// What another thread uses to wake one task.
#[derive(Default)]
struct Remote {
    count: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

impl Remote {
    fn bump(&self) {
        self.count.fetch_add(1, Ordering::SeqCst);
        if let Some(w) = self.waker.lock().unwrap().take() {
            w.wake();
        }
    }

    async fn reached(&self, n: usize) {
        poll_fn(|cx| {
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            if self.count.load(Ordering::SeqCst) >= n {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

/// Fails if polled again after it completed.
struct Once<F> {
    inner: Option<F>,
}

impl<F: Future + Unpin> Future for Once<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<F::Output> {
        let inner = self
            .inner
            .as_mut()
            .expect("a task was polled after it completed");
        let out = Pin::new(inner).poll(cx);
        if out.is_ready() {
            self.inner = None;
        }
        out
    }
}

async fn task(
    socket: UnixStream,
    steps: Vec<Step>,
    total: usize,
    remote: &Remote,
    received: &Mutex<Vec<u8>>,
    timeouts: &Cell<usize>,
) {
    let source = RT.register(socket).unwrap();
    for step in steps {
        match step {
            Step::Read(limit) => loop {
                if received.lock().unwrap().len() == total {
                    break; // an earlier read took this step's byte
                }
                let mut byte = [0u8; 1];
                let read = source.read_with(|s| (&*s).read(&mut byte));
                let n = match limit {
                    None => read.await.unwrap(),
                    Some(ms) => match RT.timeout(Duration::from_millis(ms), read).await {
                        Ok(r) => r.unwrap(),
                        Err(e) => {
                            assert_eq!(e, Errno::TIMEDOUT);
                            timeouts.set(timeouts.get() + 1);
                            continue; // cancelled mid-wait: try again
                        }
                    },
                };
                assert_eq!(n, 1, "end of file before the last byte");
                received.lock().unwrap().push(byte[0]);
                break;
            },
            Step::ReadDirect(limit) => loop {
                // Up to 2 bytes: a short read when 1 is there.
                let want = (total - received.lock().unwrap().len()).min(2);
                if want == 0 {
                    break; // an earlier read took this step's byte
                }
                let mut bytes = [0u8; 2];
                let buf = &mut bytes[..want];
                let n = match limit {
                    None => source.read(buf).await.unwrap(),
                    Some(ms) => match RT
                        .timeout(Duration::from_millis(ms), source.read(buf))
                        .await
                    {
                        Ok(r) => r.unwrap(),
                        Err(e) => {
                            assert_eq!(e, Errno::TIMEDOUT);
                            timeouts.set(timeouts.get() + 1);
                            continue;
                        }
                    },
                };
                assert!(n >= 1, "end of file before the last byte");
                received.lock().unwrap().extend_from_slice(&bytes[..n]);
                break;
            },
            Step::Sleep(us) => {
                let deadline = RT.now() + Duration::from_micros(us);
                RT.sleep(Duration::from_micros(us)).await.unwrap();
                assert!(RT.now() >= deadline, "a sleep ended early");
            }
            Step::Remote(n) => remote.reached(n).await,
        }
    }
    // The other side closes after its last byte (often with it, in one
    // edge): the end of file must still be seen.
    let mut rest = [0u8; 4];
    assert_eq!(source.read(&mut rest).await, Ok(0), "end of file");
}

fn run(seed: u64) -> usize {
    let mut rng = Rng(seed | 1);
    let mut plans = Vec::new();
    for _ in 0..TASKS {
        let mut steps = Vec::new();
        let (mut reads, mut remotes) = (0, 0);
        for _ in 0..rng.below(12) + 1 {
            steps.push(match rng.below(4) {
                0 | 3 => {
                    reads += 1;
                    let limit = if rng.below(2) == 0 {
                        None
                    } else {
                        Some(rng.below(4) + 1)
                    };
                    if rng.below(2) == 0 {
                        Step::Read(limit)
                    } else {
                        Step::ReadDirect(limit)
                    }
                }
                1 => Step::Sleep(rng.below(3000)),
                _ => {
                    remotes += 1;
                    Step::Remote(remotes)
                }
            });
        }
        // The other thread's schedule for this task: its bytes and wakes,
        // each after a random pause.
        let mut schedule: Vec<(u64, bool)> = Vec::new();
        for k in 0..reads + remotes {
            schedule.push((rng.below(2000), k < reads));
        }
        plans.push((steps, reads, schedule));
    }

    let remotes: Vec<Arc<Remote>> = (0..TASKS).map(|_| Arc::default()).collect();
    let received: Vec<Mutex<Vec<u8>>> = (0..TASKS).map(|_| Mutex::default()).collect();
    let timeouts = Cell::new(0);
    let mut feeders = Vec::new();
    let tasks = pin!(TaskSet::new(&RT).unwrap());
    let tasks = tasks.into_ref();
    for (i, (steps, _, schedule)) in plans.iter().enumerate() {
        let (mine, mut theirs) = UnixStream::pair().unwrap();
        mine.set_nonblocking(true).unwrap();
        let remote = Arc::clone(&remotes[i]);
        let mut schedule = schedule.clone();
        let mut order = Rng(seed ^ ((i as u64 + 1) * 0x9e37_79b9));
        // Interleave bytes and wakes in a random order.
        for k in (1..schedule.len()).rev() {
            schedule.swap(k, order.below(k as u64 + 1) as usize);
        }
        feeders.push(thread::spawn(move || {
            let mut next = 0u8;
            for (pause, is_byte) in schedule {
                thread::sleep(Duration::from_micros(pause));
                if is_byte {
                    theirs.write_all(&[next]).unwrap();
                    next = next.wrapping_add(1);
                } else {
                    remote.bump();
                }
            }
            drop(theirs); // end of file
        }));
        tasks
            .spawn(Once {
                inner: Some(Box::pin(task(
                    mine,
                    steps.clone(),
                    plans[i].1,
                    &remotes[i],
                    &received[i],
                    &timeouts,
                ))),
            })
            .map_err(|e| e.errno())
            .unwrap();
    }
    // The schedules take well under a second; a lost wake-up is found only
    // when the run's own 20 s deadline wakes the runtime.
    let start = std::time::Instant::now();
    let finished = RT
        .block_on(RT.timeout(Duration::from_secs(20), tasks.run()))
        .unwrap();
    let took = start.elapsed();
    assert_eq!(
        finished,
        Ok(()),
        "seed {seed}: a task never finished (lost wake-up)"
    );
    assert!(
        took < Duration::from_secs(10),
        "seed {seed}: took {took:?}: a wake-up was lost until the run's deadline"
    );
    for f in feeders {
        f.join().unwrap();
    }
    for (i, (_, reads, _)) in plans.iter().enumerate() {
        let got = received[i].lock().unwrap().clone();
        let want: Vec<u8> = (0..*reads as u8).collect();
        assert_eq!(
            got, want,
            "seed {seed}, task {i}: bytes lost, repeated or reordered"
        );
    }
    let state = format!("{:?}", RT);
    assert!(
        state.contains("sources: 0") && state.contains("timers: 0"),
        "seed {seed}: left behind: {state}"
    );
    timeouts.get()
}

#[test]
fn readiness_timers_cancellation_and_cross_thread_wakes() {
    let cases: u64 = std::env::var("RT_MODEL_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let mut timeouts = 0;
    for seed in 1..=cases {
        timeouts += run(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    }
    println!("{cases} cases, {timeouts} reads cancelled by their timeout");
    assert!(
        cases < 10 || timeouts > 0,
        "the cancellation path was never taken"
    );
}
