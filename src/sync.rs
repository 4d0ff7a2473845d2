//! The two synchronization primitives [`SharedRegistry`] needs without
//! std: a futex lock ([`Lock`]) and a cell initialized once ([`Once`]).
//!
//! With `sys.rs`, this is the only module with `unsafe` code: each
//! primitive hands out references into an `UnsafeCell` only under the
//! condition its `// SAFETY:` comment states, and is `Sync` only for what
//! that condition makes sound. Both are `const`-constructible, so that a
//! registry can be a `static` initialized at compile time.
//!
//! [`SharedRegistry`]: crate::SharedRegistry

use core::cell::UnsafeCell;
use core::mem::MaybeUninit;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

use rustix::thread::futex;

use crate::Result;

const UNLOCKED: u32 = 0;
const LOCKED: u32 = 1;
/// Locked, and a thread may be sleeping in `futex_wait` on it.
const CONTENDED: u32 = 2;

/// A mutual-exclusion lock on a futex word (Drepper's "mutex 2" from
/// "Futexes Are Tricky"): one compare-exchange to take it uncontended, one
/// swap to release it, a system call only when a thread has to sleep or be
/// woken. No poisoning: a panic while holding it releases it.
pub(crate) struct Lock<T> {
    state: AtomicU32,
    value: UnsafeCell<T>,
}

// SAFETY: the lock gives one thread at a time access to `value` (see
// `lock`), so sharing a `Lock<T>` between threads is sound exactly when
// sending `T` to another thread is: the `Mutex<T>` rule.
unsafe impl<T: Send> Sync for Lock<T> {}

impl<T> Lock<T> {
    pub(crate) const fn new(value: T) -> Self {
        Lock {
            state: AtomicU32::new(UNLOCKED),
            value: UnsafeCell::new(value),
        }
    }

    /// Takes the lock, sleeping in `futex_wait` while another thread
    /// holds it.
    #[inline]
    pub(crate) fn lock(&self) -> LockGuard<'_, T> {
        if self
            .state
            .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        LockGuard { lock: self }
    }

    #[cold]
    fn lock_contended(&self) {
        // A short spin first: slot locks are held for a read or a write.
        for _ in 0..64 {
            core::hint::spin_loop();
            if self.state.load(Ordering::Relaxed) == UNLOCKED
                && self
                    .state
                    .compare_exchange(UNLOCKED, LOCKED, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return;
            }
        }
        // Mark it contended; whoever releases it then wakes a sleeper.
        while self.state.swap(CONTENDED, Ordering::Acquire) != UNLOCKED {
            // EAGAIN (the word changed) and EINTR: look again.
            let _ = futex::wait(&self.state, futex::Flags::PRIVATE, CONTENDED, None);
        }
    }
}

/// Access to a [`Lock`]'s value; releases the lock when dropped.
pub(crate) struct LockGuard<'a, T> {
    lock: &'a Lock<T>,
}

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        // SAFETY: a guard exists only while its thread holds the lock (it
        // is made by `lock` after the acquiring exchange, and releases in
        // `drop`), so no other thread has a reference into `value`; the
        // Acquire on taking and Release on releasing order the accesses.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only
        // reference through this guard.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T> Drop for LockGuard<'_, T> {
    #[inline]
    fn drop(&mut self) {
        if self.lock.state.swap(UNLOCKED, Ordering::Release) == CONTENDED {
            let _ = futex::wake(&self.lock.state, futex::Flags::PRIVATE, 1);
        }
    }
}

/// `FUTEX_WAKE`'s count for "every waiter": the kernel reads it as an
/// `int`, so `u32::MAX` would be -1, which wakes one waiter only.
const WAKE_ALL: u32 = i32::MAX as u32;

const EMPTY: u32 = 0;
const BUSY: u32 = 1;
const READY: u32 = 2;

/// A value set at most once, by the first thread to ask for it; read
/// without a lock afterwards (one Acquire load).
pub(crate) struct Once<T> {
    state: AtomicU32,
    value: UnsafeCell<MaybeUninit<T>>,
}

// SAFETY: `value` is written once, by the one thread that moved `state`
// from EMPTY to BUSY, and only read after `state` is READY (Release store
// after the write, Acquire load before the read), never written again: so
// threads share `&T` (T: Sync) and the value may be dropped by whichever
// thread drops the `Once` (T: Send).
unsafe impl<T: Send + Sync> Sync for Once<T> {}

impl<T> Once<T> {
    pub(crate) const fn new() -> Self {
        Once {
            state: AtomicU32::new(EMPTY),
            value: UnsafeCell::new(MaybeUninit::uninit()),
        }
    }

    pub(crate) const fn with(value: T) -> Self {
        Once {
            state: AtomicU32::new(READY),
            value: UnsafeCell::new(MaybeUninit::new(value)),
        }
    }

    #[inline]
    pub(crate) fn get(&self) -> Option<&T> {
        if self.state.load(Ordering::Acquire) == READY {
            // SAFETY: READY is stored (Release) only after `value` was
            // written, and it is never written again.
            Some(unsafe { (*self.value.get()).assume_init_ref() })
        } else {
            None
        }
    }

    /// The value, made by `make` if no thread has made it yet. Threads
    /// that ask while another one is making it sleep until it is done; if
    /// `make` fails, its error is returned and the next caller tries again.
    #[inline]
    pub(crate) fn get_or_try_init(&self, make: impl FnOnce() -> Result<T>) -> Result<&T> {
        match self.get() {
            Some(value) => Ok(value),
            None => self.init(make),
        }
    }

    #[cold]
    fn init(&self, make: impl FnOnce() -> Result<T>) -> Result<&T> {
        // Taken by the one pass that wins EMPTY -> BUSY; that pass returns
        // (an error) or finds the value READY below.
        let mut make = Some(make);
        loop {
            match self
                .state
                .compare_exchange(EMPTY, BUSY, Ordering::Acquire, Ordering::Acquire)
            {
                Ok(_) => match make
                    .take()
                    .map_or(Err(rustix::io::Errno::AGAIN), |make| make())
                {
                    Ok(value) => {
                        // SAFETY: this thread moved EMPTY to BUSY, so it is
                        // the only one touching `value`, and no reader looks
                        // at it before READY.
                        unsafe { (*self.value.get()).write(value) };
                        self.state.store(READY, Ordering::Release);
                        let _ = futex::wake(&self.state, futex::Flags::PRIVATE, WAKE_ALL);
                    }
                    Err(e) => {
                        self.state.store(EMPTY, Ordering::Release);
                        let _ = futex::wake(&self.state, futex::Flags::PRIVATE, WAKE_ALL);
                        return Err(e);
                    }
                },
                Err(READY) => {}
                Err(_) => {
                    let _ = futex::wait(&self.state, futex::Flags::PRIVATE, BUSY, None);
                }
            }
            if let Some(value) = self.get() {
                return Ok(value);
            }
        }
    }
}

impl<T> Drop for Once<T> {
    fn drop(&mut self) {
        if *self.state.get_mut() == READY {
            // SAFETY: READY means `value` was written, and `&mut self`
            // means no reference to it remains.
            unsafe { self.value.get_mut().assume_init_drop() }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn the_lock_excludes_across_threads() {
        let lock = Arc::new(Lock::new(0u64));
        let threads: std::vec::Vec<_> = (0..4)
            .map(|_| {
                let lock = Arc::clone(&lock);
                thread::spawn(move || {
                    for _ in 0..100_000 {
                        // A non-atomic read-modify-write: lost updates
                        // would show without mutual exclusion.
                        let mut g = lock.lock();
                        let v = *g;
                        core::hint::black_box(&v);
                        *g = v + 1;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*lock.lock(), 400_000);
    }

    #[test]
    fn once_runs_one_maker_and_retries_after_an_error() {
        let once = Once::<u32>::new();
        assert_eq!(once.get(), None);
        assert_eq!(
            once.get_or_try_init(|| Err(rustix::io::Errno::MFILE)),
            Err(rustix::io::Errno::MFILE)
        );
        assert_eq!(once.get_or_try_init(|| Ok(7)), Ok(&7));
        assert_eq!(once.get_or_try_init(|| Ok(8)), Ok(&7));
        // Four threads ask at once; the maker takes 100 ms, so the others
        // sleep in futex_wait and must all be woken (a wake count read as
        // -1 woke only one, and the rest slept for ever).
        let shared = Arc::new(Once::<u32>::new());
        let made = Arc::new(AtomicU32::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..4 {
            let (shared, made, tx) = (Arc::clone(&shared), Arc::clone(&made), tx.clone());
            thread::spawn(move || {
                let v = *shared
                    .get_or_try_init(|| {
                        made.fetch_add(1, Ordering::Relaxed);
                        thread::sleep(std::time::Duration::from_millis(100));
                        Ok(i)
                    })
                    .unwrap();
                tx.send(v).unwrap();
            });
        }
        let values: std::vec::Vec<u32> = (0..4)
            .map(|_| {
                rx.recv_timeout(std::time::Duration::from_secs(10))
                    .expect("a thread waiting for the value was never woken")
            })
            .collect();
        assert_eq!(made.load(Ordering::Relaxed), 1);
        assert!(values.iter().all(|v| *v == values[0]));
    }
}
