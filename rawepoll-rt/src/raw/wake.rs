//! The runtime's wakers: a [`Waker`] whose data is a pointer to a flag in a
//! `'static` runtime, so that it stays valid wherever and however long it is
//! kept, with nothing to count. Waking sets the flag and, if the runtime
//! sleeps in `epoll_wait`, writes its eventfd.
//!
//! With `sync` and `sys`, the only `unsafe` code of the crate: the waker
//! vtable's functions, each with its `// SAFETY:`.

use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use core::task::{RawWaker, RawWakerVTable, Waker};

use rawepoll::{Epoll, Errno, EventFd, Result};
use rustix_futex_sync::OnceLock as Once;

/// What every waker of one runtime reaches: whether the future given to
/// `block_on` must be polled again, and how to wake the thread running it.
pub(crate) struct Hub {
    pub(crate) epoll: Once<Epoll>,
    pub(crate) notify: Once<EventFd>,
    /// The `block_on` future is to be polled.
    pub(crate) woken: AtomicBool,
    /// The running thread is in (or about to enter) `epoll_wait`.
    pub(crate) sleeping: AtomicBool,
    /// A `block_on` is running.
    running: AtomicBool,
}

impl Hub {
    pub(crate) const fn new() -> Self {
        Hub {
            epoll: Once::new(),
            notify: Once::new(),
            woken: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            running: AtomicBool::new(false),
        }
    }

    /// Marks a `block_on` as running until the guard drops (also when the
    /// future panics); `EBUSY` if one already is.
    pub(crate) fn enter(&self) -> Result<Running<'_>> {
        if self.running.swap(true, Ordering::Acquire) {
            return Err(Errno::BUSY);
        }
        Ok(Running(&self.running))
    }

    /// Asks for the `block_on` future to be polled again; wakes the thread
    /// if it sleeps. Flag first, then `sleeping`: the sleeper sets
    /// `sleeping` first, then looks at the flag (both `SeqCst`), so at least
    /// one of the two sees the other.
    pub(crate) fn wake(&self) {
        if !self.woken.swap(true, Ordering::SeqCst) && self.sleeping.load(Ordering::SeqCst) {
            if let Some(notify) = self.notify.get() {
                // EAGAIN only when the counter is at its maximum: then the
                // fd is readable anyway.
                let _ = notify.notify();
            }
        }
    }

    /// The waker of the `block_on` future.
    pub(crate) fn waker(&'static self) -> Waker {
        let data = ptr::from_ref(self).cast::<()>();
        // SAFETY: `data` points to a `'static` Hub, and HUB_VTABLE's
        // functions only ever read it as `&'static Hub`; Hub is Sync (atomics
        // and Once), so they may run on any thread.
        unsafe { Waker::from_raw(RawWaker::new(data, &HUB_VTABLE)) }
    }
}

/// Resets `running` when `block_on` returns or unwinds.
pub(crate) struct Running<'a>(&'a AtomicBool);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// One task's flag: set by its waker, taken by the `TaskSet` that polls it.
pub(crate) struct TaskWake {
    pub(crate) woken: AtomicBool,
    /// The runtime's hub, filled in by `set_hub`.
    hub: AtomicPtr<Hub>,
}

impl TaskWake {
    pub(crate) const fn new() -> Self {
        TaskWake {
            woken: AtomicBool::new(false),
            hub: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Ties the flag to its runtime's hub (a `const fn` cannot take the
    /// address of the static being built); done once by the `TaskSet` that
    /// takes the flags, before it makes any waker.
    pub(crate) fn set_hub(&self, hub: &'static Hub) {
        self.hub
            .store(ptr::from_ref(hub).cast_mut(), Ordering::Release);
    }

    /// The waker of the task that owns this flag.
    pub(crate) fn waker(&'static self) -> Waker {
        let data = ptr::from_ref(self).cast::<()>();
        // SAFETY: `data` points to a `'static` TaskWake, whose `hub` is null
        // or a `'static` Hub (`set_hub`); TASK_VTABLE's functions only read
        // them as shared references, and both are Sync.
        unsafe { Waker::from_raw(RawWaker::new(data, &TASK_VTABLE)) }
    }

    fn wake(&self) {
        self.woken.store(true, Ordering::SeqCst);
        let hub = self.hub.load(Ordering::Acquire);
        // SAFETY: `hub` is null or was stored from a `&'static Hub` (see
        // `set_hub`), never anything else.
        if let Some(hub) = unsafe { hub.as_ref() } {
            hub.wake();
        }
    }
}

static HUB_VTABLE: RawWakerVTable = RawWakerVTable::new(hub_clone, hub_wake, hub_wake, waker_drop);
static TASK_VTABLE: RawWakerVTable =
    RawWakerVTable::new(task_clone, task_wake, task_wake, waker_drop);

fn hub_clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &HUB_VTABLE)
}

fn hub_wake(data: *const ()) {
    // SAFETY: HUB_VTABLE wakers are only made by `Hub::waker`, from a
    // `&'static Hub`.
    unsafe { &*data.cast::<Hub>() }.wake();
}

fn task_clone(data: *const ()) -> RawWaker {
    RawWaker::new(data, &TASK_VTABLE)
}

fn task_wake(data: *const ()) {
    // SAFETY: TASK_VTABLE wakers are only made by `TaskWake::waker`, from a
    // `&'static TaskWake`.
    unsafe { &*data.cast::<TaskWake>() }.wake();
}

/// Nothing to release: the data is `'static`.
fn waker_drop(_: *const ()) {}
