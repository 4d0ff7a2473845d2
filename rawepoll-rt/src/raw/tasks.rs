//! A fixed-capacity set of tasks of one future type, pinned in place.

use core::cell::{Cell, UnsafeCell};
use core::fmt;
use core::future::Future;
use core::marker::PhantomPinned;
use core::pin::Pin;
use core::sync::atomic::Ordering;
use core::task::{Context, Poll};

use rawepoll::Errno;

use crate::Runtime;

const EMPTY: u8 = 0;
const FULL: u8 = 1;
/// Being polled: neither `spawn` nor a nested `run` may touch it.
const POLLING: u8 = 2;

/// Why [`TaskSet::spawn`] failed: all `N` places hold a task. The future is
/// handed back, not lost.
pub struct TaskSetFull<F>(pub F);

impl<F> TaskSetFull<F> {
    /// `ENOSPC`, the errno this failure stands for.
    pub const fn errno(&self) -> Errno {
        Errno::NOSPC
    }

    /// The future that was not spawned.
    pub fn into_inner(self) -> F {
        self.0
    }
}

impl<F> fmt::Debug for TaskSetFull<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TaskSetFull(ENOSPC)")
    }
}

impl<F> fmt::Display for TaskSetFull<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the task set is full (ENOSPC)")
    }
}

#[cfg(feature = "std")]
impl<F> From<TaskSetFull<F>> for std::io::Error {
    fn from(full: TaskSetFull<F>) -> Self {
        std::io::Error::from_raw_os_error(full.errno().raw_os_error())
    }
}

/// Up to `N` tasks, all of the future type `F` (typically the future of
/// one `async fn`, such as a connection's handler), stored in place: no
/// `Box`, no allocation. Each task is polled only when its waker was woken,
/// and dropped as soon as it completes (its output, `()`, is discarded).
///
/// A `TaskSet` belongs to one [`Runtime`] (it uses the runtime's `N` task
/// wake-up flags; one set per runtime at a time) and runs inside that
/// runtime's [`block_on`](Runtime::block_on), through [`run`](Self::run).
/// It is pinned before use (`core::pin::pin!`), since its tasks must not
/// move once polled; spawning takes a shared `Pin<&TaskSet>`, which a task
/// can hold to spawn more.
///
/// # Example
///
/// ```
/// use core::pin::pin;
/// use core::cell::Cell;
/// use rawepoll_rt::{Runtime, TaskSet};
///
/// static RT: Runtime<8> = Runtime::new();
///
/// async fn work(n: u32, total: &Cell<u32>) {
///     total.set(total.get() + n);
/// }
///
/// let total = Cell::new(0);
/// let tasks = pin!(TaskSet::new(&RT)?);
/// let tasks = tasks.into_ref();
/// for n in 1..=3 {
///     tasks.spawn(work(n, &total)).map_err(|e| e.errno())?;
/// }
/// RT.block_on(tasks.run())?;
/// assert_eq!(total.get(), 6);
/// # Ok::<(), rawepoll::Errno>(())
/// ```
pub struct TaskSet<F, const N: usize> {
    runtime: &'static Runtime<N>,
    tasks: [UnsafeCell<Option<F>>; N],
    states: [Cell<u8>; N],
    len: Cell<usize>,
    _pinned: PhantomPinned,
}

impl<F: Future<Output = ()>, const N: usize> TaskSet<F, N> {
    /// An empty set on `runtime`.
    ///
    /// # Errors
    ///
    /// `EBUSY`: another `TaskSet` uses this runtime (until it is dropped).
    pub fn new(runtime: &'static Runtime<N>) -> Result<Self, Errno> {
        if runtime.tasks_claimed.swap(true, Ordering::Acquire) {
            return Err(Errno::BUSY);
        }
        for flag in &runtime.tasks {
            flag.woken.store(false, Ordering::Relaxed);
            flag.set_hub(&runtime.hub);
        }
        Ok(TaskSet {
            runtime,
            tasks: [const { UnsafeCell::new(None) }; N],
            states: [const { Cell::new(EMPTY) }; N],
            len: Cell::new(0),
            _pinned: PhantomPinned,
        })
    }

    /// Adds `task`; it is first polled by the next pass of
    /// [`run`](Self::run). Callable from inside a task of this set.
    ///
    /// # Errors
    ///
    /// [`TaskSetFull`] (`ENOSPC`), holding `task`, when `N` tasks are in
    /// the set.
    pub fn spawn(self: Pin<&Self>, task: F) -> Result<(), TaskSetFull<F>> {
        let Some(i) = self.states.iter().position(|s| s.get() == EMPTY) else {
            return Err(TaskSetFull(task));
        };
        // SAFETY: slot `i` is EMPTY: no task there, so no `Pin<&mut F>` or
        // other reference into it exists (references are only made while a
        // slot is POLLING, and `TaskSet` is not `Sync`, so no other thread
        // is in here).
        unsafe {
            *self.tasks[i].get() = Some(task);
        }
        self.states[i].set(FULL);
        self.len.set(self.len.get() + 1);
        self.runtime.tasks[i].woken.store(true, Ordering::SeqCst);
        self.runtime.hub.wake();
        Ok(())
    }

    /// How many tasks have not completed.
    pub fn len(&self) -> usize {
        self.len.get()
    }

    /// Whether every task has completed.
    pub fn is_empty(&self) -> bool {
        self.len.get() == 0
    }

    /// `N`.
    pub const fn capacity(&self) -> usize {
        N
    }

    /// A future that polls the woken tasks each time it is polled, and
    /// completes when the set is empty. Combine it with the future that
    /// spawns (an accept loop) by spawning that one into the set too, or by
    /// polling both with [`run_with`](Self::run_with).
    pub fn run(self: Pin<&Self>) -> Run<'_, F, N> {
        Run { set: self }
    }

    /// Polls the woken tasks once; returns whether the set is empty.
    fn poll_tasks(self: Pin<&Self>) -> bool {
        for i in 0..N {
            let flag = &self.runtime.tasks[i];
            if self.states[i].get() != FULL
                || !flag.woken.load(Ordering::Relaxed)
                || !flag.woken.swap(false, Ordering::SeqCst)
            {
                continue;
            }
            self.states[i].set(POLLING);
            let waker = flag.waker();
            let mut cx = Context::from_waker(&waker);
            // SAFETY: slot `i` is POLLING, so `spawn` and nested passes
            // leave it alone, and this is the only reference into it. The
            // task is pinned: the set is pinned (`Pin<&Self>`, and
            // `PhantomPinned` keeps it from being unpinned), and a task is
            // only ever dropped in place, here or in `Drop`, never moved.
            let done = unsafe {
                let slot = &mut *self.tasks[i].get();
                let done = match slot.as_mut() {
                    Some(task) => Pin::new_unchecked(task).poll(&mut cx).is_ready(),
                    None => true,
                };
                if done {
                    *slot = None; // dropped in place
                }
                done
            };
            if done {
                self.states[i].set(EMPTY);
                self.len.set(self.len.get() - 1);
            } else {
                self.states[i].set(FULL);
            }
        }
        self.len.get() == 0
    }

    /// Polls `main` and the woken tasks until `main` completes, and returns
    /// its output; tasks still in the set stay there (run them on, or drop
    /// the set).
    pub async fn run_with<M: Future>(self: Pin<&Self>, main: M) -> M::Output {
        let mut main = core::pin::pin!(main);
        core::future::poll_fn(move |cx| {
            if let Poll::Ready(out) = main.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            self.poll_tasks();
            Poll::Pending
        })
        .await
    }
}

impl<F, const N: usize> Drop for TaskSet<F, N> {
    fn drop(&mut self) {
        for slot in &mut self.tasks {
            *slot.get_mut() = None; // in place
        }
        self.runtime.tasks_claimed.store(false, Ordering::Release);
    }
}

impl<F, const N: usize> fmt::Debug for TaskSet<F, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskSet")
            .field("len", &self.len.get())
            .field("capacity", &N)
            .finish_non_exhaustive()
    }
}

/// The future of [`TaskSet::run`].
#[must_use = "futures do nothing unless polled"]
pub struct Run<'a, F, const N: usize> {
    set: Pin<&'a TaskSet<F, N>>,
}

impl<F: Future<Output = ()>, const N: usize> Future for Run<'_, F, N> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.set.poll_tasks() {
            Poll::Ready(())
        } else {
            // The tasks' wakers wake the runtime's `block_on`, which polls
            // this future again.
            Poll::Pending
        }
    }
}

impl<F, const N: usize> fmt::Debug for Run<'_, F, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run").field("set", &*self.set).finish()
    }
}
