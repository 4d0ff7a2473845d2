//! A [`Registry`](crate::Registry) for many threads: [`SharedRegistry`],
//! every method through `&self`, a lock per source and none across a wait.

use core::fmt;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use rustix::fd::AsFd;
use rustix::io::Errno;
use rustix_futex_sync::{Mutex as Lock, MutexGuard as LockGuard, OnceLock as Once};

use crate::epoll::Epoll;
use crate::event::{Event, Events};
use crate::interest::{Interest, Token};
use crate::registry::{current_process, InsertError};
use crate::sigset::SigSet;
use crate::slab::{next_generation, FreeList, TAG as FIRST_GENERATION};
use crate::timeout::{Deadline, Timeout};
use crate::Result;

/// This thread's id for the slot locks' holder word: the address of a
/// thread-local (with `std`), which no other live thread shares; 0 without
/// `std`, where a thread has no id short of a system call (`gettid`), and
/// a same-thread re-lock is not detected.
#[inline]
fn this_thread() -> usize {
    #[cfg(feature = "std")]
    {
        std::thread_local!(static ID: u8 = const { 0 });
        ID.try_with(|id| core::ptr::from_ref(id) as usize)
            .unwrap_or(0)
    }
    #[cfg(not(feature = "std"))]
    {
        0
    }
}

pub(crate) struct Slot<S> {
    /// The [`FreeList`]'s link while this slot is free; read and written
    /// only under the free list's lock.
    next_free: AtomicU32,
    /// The high word of the slot's tokens (the tag bit included); written
    /// only under `source`'s lock, so stable for the thread holding it.
    generation: AtomicU32,
    /// The thread holding `source`'s lock ([`this_thread`]), 0 when none
    /// (or unknown). A thread finds its own id here only while it holds
    /// the lock: it stores it after taking the lock and clears it before
    /// letting go, and no other thread stores that id.
    holder: AtomicUsize,
    source: Lock<Option<S>>,
}

impl<S> Slot<S> {
    pub(crate) const fn vacant() -> Slot<S> {
        Slot {
            next_free: AtomicU32::new(0),
            generation: AtomicU32::new(FIRST_GENERATION),
            holder: AtomicUsize::new(0),
            source: Lock::new(None),
        }
    }

    /// Takes the slot's lock, or answers `EDEADLK` when this thread holds
    /// it already (where waiting would be for ever).
    #[inline]
    fn acquire(&self) -> Result<Held<'_, S>> {
        let me = this_thread();
        let source = match self.source.try_lock() {
            Some(source) => source,
            None if me != 0 && self.holder.load(Ordering::Relaxed) == me => {
                return Err(Errno::DEADLK)
            }
            None => self.source.lock(),
        };
        self.holder.store(me, Ordering::Relaxed);
        Ok(Held {
            holder: &self.holder,
            source,
        })
    }
}

/// A slot's lock, held; clears the holder word before it unlocks.
struct Held<'a, S> {
    holder: &'a AtomicUsize,
    source: LockGuard<'a, Option<S>>,
}

impl<S> Drop for Held<'_, S> {
    #[inline]
    fn drop(&mut self) {
        self.holder.store(0, Ordering::Relaxed);
    }
}

/// Up to `N` sources of type `S` in one epoll, for any number of threads at
/// once: each inserts, removes, re-arms and waits through `&self`, with
/// [`Registry`](crate::Registry)'s guarantee that an event for a removed
/// source never reaches the source that reused its slot or fd number,
/// whichever thread removed it.
///
/// A source is reached through a [`SlotGuard`], which holds that source's
/// lock: [`lock`](SharedRegistry::lock) by token, or the guard
/// [`try_dispatch`](SharedRegistry::try_dispatch) hands the handler. The
/// guard checks the token's generation *under the lock*, so a source
/// removed by another thread between the wait and the handler is never
/// handed out; its event is dropped and counted
/// ([`stale_events`](SharedRegistry::stale_events)).
///
/// # What contends, and on what
///
/// * **Waits take no lock.** Any number of threads wait at once; the
///   kernel serializes only its own short ready-list lock in the epoll.
/// * **One source, one lock.** Handling, re-arming (`MOD`) or removing a
///   source takes that source's lock (a futex word per slot: an atomic
///   exchange when free, a sleep when another thread holds it). Two
///   sources never contend, except that neighbouring slots share a cache
///   line. Hold one guard at a time: two threads that each hold one source
///   and ask for the other's deadlock. And while a thread holds a guard
///   (inside a [`dispatch`](SharedRegistry::dispatch) handler, say), it
///   acts on that source through the guard ([`rearm`](SlotGuard::rearm),
///   [`remove`](SlotGuard::remove), deref): the registry's methods that
///   take its token (`lock`, `modify`, `remove`) answer `EDEADLK` rather
///   than wait for the lock the thread itself holds, and `contains`
///   answers `true`. That takes a thread id, free with the `std` feature
///   (the address of a thread-local, stored in the slot's holder word
///   while the lock is held); without `std` it would cost a system call
///   per lock, so there such a call waits for ever.
/// * **Insert and remove** also take the free list's lock, for a few
///   instructions and no system call: the one lock every thread shares. A
///   server accepting hundreds of thousands of connections a second on
///   many cores would feel it first; `len` is an atomic counter.
/// * **Give each event to one thread**: register with
///   [`Interest::ONESHOT`] and re-arm with [`SlotGuard::rearm`] after
///   handling (the pattern of `examples/echo_threads.rs`), or with
///   [`Interest::EDGE`] and accept that two threads may get events for
///   one source (the lock serializes them). Level-triggered wakes every
///   waiting thread for the same readiness.
///
/// # Construction
///
/// [`new`](SharedRegistry::new) is a `const fn` and makes no system call:
/// the registry can be a `static`, built at compile time however large `N`
/// is, and creates its epoll on first use. With `std`,
/// [`new_boxed`](SharedRegistry::new_boxed) builds one on the heap in
/// place, never on the stack. Each slot is a few words (16 bytes for a
/// `TcpStream` on 64-bit targets).
///
/// Tokens are [`Registry`](crate::Registry)'s: the top bit
/// ([`Token::REGISTRY_BIT`]) set, a 31-bit generation and the slot. Tokens
/// below `1 << 63` are yours, for fds you add to
/// [`epoll`](SharedRegistry::epoll) yourself.
///
/// # Example
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use rawepoll::{EventFd, Events, Interest, SharedRegistry, Timeout};
/// use rawepoll::registry::Target;
///
/// static REGISTRY: SharedRegistry<EventFd, 1024> = SharedRegistry::new();
///
/// # fn main() -> rawepoll::Result<()> {
/// let oneshot = Interest::READABLE | Interest::ONESHOT;
/// let tokens: Vec<_> = (0..8)
///     .map(|_| REGISTRY.insert(EventFd::new().unwrap(), oneshot).unwrap())
///     .collect();
/// let handled = AtomicUsize::new(0);
/// std::thread::scope(|s| {
///     for _ in 0..2 {
///         s.spawn(|| -> rawepoll::Result<()> {
///             let mut events = Events::<8>::new();
///             while handled.load(Ordering::Relaxed) < 8 {
///                 REGISTRY.wait(&mut events, Timeout::from_millis(10))?;
///                 REGISTRY.try_dispatch(&events, |target, _event| {
///                     if let Target::Source(fd) = target {
///                         fd.drain()?;
///                         handled.fetch_add(1, Ordering::Relaxed);
///                         fd.rearm(oneshot)?; // one thread per event
///                     }
///                     Ok::<(), rawepoll::Errno>(())
///                 })?;
///             }
///             Ok(())
///         });
///     }
///     for t in &tokens {
///         REGISTRY.lock(*t).unwrap().notify().unwrap();
///     }
/// });
/// assert_eq!(handled.load(Ordering::Relaxed), 8);
/// for t in tokens {
///     drop(REGISTRY.remove(t)); // deleted from the epoll, then closed
/// }
/// # Ok(()) }
/// ```
pub struct SharedRegistry<S, const N: usize> {
    pub(crate) epoll: Once<Epoll>,
    /// The slab's free list, under the one lock every thread shares.
    pub(crate) free: Lock<FreeList>,
    pub(crate) len: AtomicUsize,
    pub(crate) stale: AtomicUsize,
    /// The process that made the epoll (0 before it is made): in any other,
    /// a child made by `fork`, `remove` does not delete from the shared
    /// epoll (see [`Registry::remove`](crate::Registry::remove)).
    pub(crate) owner: AtomicU32,
    pub(crate) slots: [Slot<S>; N],
}

impl<S: AsFd, const N: usize> SharedRegistry<S, N> {
    pub(crate) const CHECK_N: () = assert!(
        N > 0 && N < u32::MAX as usize,
        "SharedRegistry<S, N>: N must be between 1 and u32::MAX - 1"
    );

    /// An empty registry. No system call: its epoll is created
    /// (`epoll_create1(EPOLL_CLOEXEC)`) by the first method that needs it,
    /// which reports that call's error. A `const fn`, for a `static`.
    #[inline]
    #[must_use]
    pub const fn new() -> Self {
        Self::with_once(Once::new())
    }

    /// An empty registry that registers its sources in `epoll` (which
    /// should have nothing else registered under tokens with
    /// [`Token::REGISTRY_BIT`] set).
    #[inline]
    #[must_use]
    pub fn with_epoll(epoll: Epoll) -> Self {
        let registry = Self::with_once(Once::from(epoll));
        registry.owner.store(current_process(), Ordering::Relaxed);
        registry
    }

    /// The one constructor: empty slots around `epoll`, made or not.
    const fn with_once(epoll: Once<Epoll>) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::CHECK_N;
        SharedRegistry {
            epoll,
            free: Lock::new(FreeList::EMPTY),
            len: AtomicUsize::new(0),
            stale: AtomicUsize::new(0),
            owner: AtomicU32::new(0),
            slots: [const { Slot::vacant() }; N],
        }
    }

    /// The epoll instance, created now if it was not yet.
    ///
    /// # Errors
    ///
    /// What `epoll_create1` answered, if it had to be created now
    /// (`EMFILE`, `ENFILE`, `ENOMEM`); the next call tries again.
    #[inline]
    pub fn epoll(&self) -> Result<&Epoll> {
        self.epoll.get_or_try_init(|| {
            let epoll = Epoll::new()?;
            self.owner.store(current_process(), Ordering::Relaxed);
            Ok(epoll)
        })
    }

    /// How many sources are registered.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether no source is registered.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `N`: the most sources it can hold.
    #[inline]
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// How many events dispatch has dropped because their token named a
    /// removed source (summed over all threads).
    #[inline]
    #[must_use]
    pub fn stale_events(&self) -> u64 {
        self.stale.load(Ordering::Relaxed) as u64
    }

    /// Takes a free slot off the free list.
    #[inline]
    fn take_slot(&self) -> Option<u32> {
        let next_free = |i: usize| self.slots[i].next_free.load(Ordering::Relaxed);
        let (index, _) = self.free.lock().take(N, next_free)?;
        Some(index as u32)
    }

    /// Puts a slot back on the free list.
    #[inline]
    fn release_slot(&self, index: u32) {
        let mut free = self.free.lock();
        let link = free.release(index as usize);
        self.slots[index as usize]
            .next_free
            .store(link, Ordering::Relaxed);
    }

    /// `epoll_ctl(ADD)`—Registers `source` for `interest` and keeps it;
    /// returns its token. Other threads may wait, insert and remove
    /// meanwhile; an event for the new source may reach another thread's
    /// dispatch before this call returns.
    ///
    /// # Errors
    ///
    /// [`InsertError::Full`] when all `N` slots are taken;
    /// [`InsertError::Errno`] with what `epoll_ctl` (or creating the epoll)
    /// answered. Either way the source is handed back, untouched.
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    pub fn insert(
        &self,
        source: S,
        interest: Interest,
    ) -> core::result::Result<Token, InsertError<S>> {
        self.insert_with(|_| source, interest)
            .map_err(|e| e.map_full(|make| make(Token(0))))
    }

    /// `epoll_ctl(ADD)`—Makes the source with its own token, registers it
    /// and keeps it; returns the token. `make` runs under the new slot's
    /// lock, only once a slot is free.
    ///
    /// # Errors
    ///
    /// [`InsertError::Full`] with `make`, unrun, when all `N` slots are
    /// taken; [`InsertError::Errno`] with the made source and what
    /// `epoll_ctl` (or creating the epoll) answered.
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    pub fn insert_with<F: FnOnce(Token) -> S>(
        &self,
        make: F,
        interest: Interest,
    ) -> core::result::Result<Token, InsertError<S, F>> {
        let Some(index) = self.take_slot() else {
            return Err(InsertError::Full(make));
        };
        let slot = &self.slots[index as usize];
        // A slot off the free list is held by no guard of this thread:
        // guards are made for occupied slots only, and `remove` lets go of
        // the lock before it frees the slot.
        let mut held = slot.acquire().unwrap_or_else(|_| unreachable!());
        let token = Token::from_parts(index, slot.generation.load(Ordering::Relaxed));
        let source = make(token);
        // Registered under the slot's lock: a dispatch that gets its first
        // event waits for the source to be in place.
        if let Err(e) = self
            .epoll()
            .and_then(|epoll| epoll.add(&source, token, interest))
        {
            drop(held);
            self.release_slot(index);
            return Err(InsertError::Errno(e, source));
        }
        *held.source = Some(source);
        drop(held);
        self.len.fetch_add(1, Ordering::Relaxed);
        Ok(token)
    }

    /// Locks the source under `token`. The guard gives `&S` and `&mut S`,
    /// and can re-arm or remove the source.
    ///
    /// Blocks while another thread holds the same source, and only then.
    ///
    /// # Errors
    ///
    /// * `ENOENT` when the token is stale, foreign or was never issued
    ///   (found without waiting for anything but that slot's lock).
    /// * `EDEADLK` when this very thread holds the source already (inside
    ///   a [`dispatch`](SharedRegistry::dispatch) handler for it, or with
    ///   a guard from [`iter`](SharedRegistry::iter) or `lock` still
    ///   alive): act on it through that guard. Detected with the `std`
    ///   feature, where every thread has an id for free (the address of a
    ///   thread-local); without `std` a thread has none short of a system
    ///   call per lock, and such a call waits for ever.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{Errno, EventFd, Interest, SharedRegistry};
    /// let registry = SharedRegistry::<EventFd, 4>::new();
    /// let token = registry.insert(EventFd::new()?, Interest::READABLE).map_err(|e| e.errno())?;
    /// let guard = registry.lock(token)?;
    /// # #[cfg(feature = "std")]
    /// assert_eq!(registry.modify(token, Interest::WRITABLE).err(), Some(Errno::DEADLK));
    /// guard.rearm(Interest::WRITABLE)?; // the way, while the guard lives
    /// drop(guard.remove());
    /// assert_eq!(registry.lock(token).err(), Some(Errno::NOENT));
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    #[inline]
    pub fn lock(&self, token: Token) -> Result<SlotGuard<'_, S, N>> {
        let index = token.index() as usize;
        let slot = self.slots.get(index).ok_or(Errno::NOENT)?;
        let live = |slot: &Slot<S>| slot.generation.load(Ordering::Relaxed) == token.generation();
        match slot.acquire() {
            Ok(held) if live(slot) && held.source.is_some() => Ok(SlotGuard {
                registry: self,
                index,
                token,
                held,
            }),
            // Held by this thread, so its generation cannot change under
            // us: a stale token is still told apart.
            Err(e) if live(slot) => Err(e),
            _ => Err(Errno::NOENT),
        }
    }

    /// Whether `token` names a live source (which another thread may
    /// remove right after this answers). Never waits for ever: a source
    /// this thread holds is live.
    #[inline]
    #[must_use]
    pub fn contains(&self, token: Token) -> bool {
        matches!(self.lock(token), Ok(_) | Err(Errno::DEADLK))
    }

    /// `epoll_ctl(MOD)`—Changes the interest of the source under `token`;
    /// the way to re-arm a [`ONESHOT`](Interest::ONESHOT) registration
    /// from a thread that does not hold its guard.
    ///
    /// # Errors
    ///
    /// `ENOENT` and `EDEADLK` as [`lock`](SharedRegistry::lock);
    /// otherwise as [`Epoll::modify`].
    #[inline]
    pub fn modify(&self, token: Token, interest: Interest) -> Result<()> {
        self.lock(token)?.rearm(interest)
    }

    /// `epoll_ctl(DEL)`—Unregisters the source under `token` and gives it
    /// back. Every token issued for the slot goes stale, for every thread:
    /// an event for it still in another thread's buffer is dropped there.
    /// See [`Registry::remove`](crate::Registry::remove) for why `DEL`'s
    /// error is not returned, and for what happens in a child made by
    /// `fork` (the source is forgotten, the parent's registration is not
    /// deleted).
    ///
    /// # Errors
    ///
    /// `ENOENT` when the token is stale, foreign or was never issued;
    /// `EDEADLK` when this thread holds the source's guard
    /// ([`SlotGuard::remove`] is the way then). Nothing is removed.
    #[inline]
    pub fn remove(&self, token: Token) -> Result<S> {
        self.lock(token).map(SlotGuard::remove)
    }

    /// Every live source, each with its lock held while its guard lives, in
    /// slot order: for a walk at shutdown (log, flush, remove), as
    /// [`Registry::iter`](crate::Registry::iter) is for one thread.
    ///
    /// Each slot is locked as the iterator reaches it and stays locked
    /// until that guard is dropped, so drop each guard before taking the
    /// next (a `for` loop does); a source this thread holds already is
    /// skipped, not waited for. Sources inserted or removed by other threads during
    /// the walk may or may not be seen; none is seen twice.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{EventFd, Interest, SharedRegistry};
    /// let registry = SharedRegistry::<EventFd, 8>::new();
    /// for _ in 0..3 {
    ///     registry.insert(EventFd::new()?, Interest::READABLE).map_err(|e| e.errno())?;
    /// }
    /// // Shutdown: remove every source (each deleted from the epoll, then closed).
    /// for guard in registry.iter() {
    ///     drop(guard.remove());
    /// }
    /// assert_eq!(registry.len(), 0);
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = SlotGuard<'_, S, N>> + '_ {
        let used = self.free.lock().unused as usize;
        self.slots[..used]
            .iter()
            .enumerate()
            .filter_map(move |(index, slot)| {
                // A slot this thread holds already is skipped (it is
                // being handled), not waited for.
                let held = slot.acquire().ok()?;
                held.source.as_ref()?;
                Some(SlotGuard {
                    registry: self,
                    index,
                    token: Token::from_parts(index as u32, slot.generation.load(Ordering::Relaxed)),
                    held,
                })
            })
    }

    /// [`Epoll::wait`] on the registry's epoll, holding no lock.
    ///
    /// # Errors
    ///
    /// As [`Epoll::wait`], and creating the epoll's (see
    /// [`epoll`](SharedRegistry::epoll)).
    #[inline]
    pub fn wait<const M: usize>(&self, events: &mut Events<M>, timeout: Timeout) -> Result<usize> {
        self.epoll()?.wait(events, timeout)
    }

    /// [`Epoll::pwait`] on the registry's epoll, holding no lock.
    ///
    /// # Errors
    ///
    /// As [`Epoll::pwait`].
    #[inline]
    pub fn pwait<const M: usize>(
        &self,
        events: &mut Events<M>,
        timeout: Timeout,
        mask: &SigSet,
    ) -> Result<usize> {
        self.epoll()?.pwait(events, timeout, mask)
    }

    /// [`Epoll::wait_deadline`] on the registry's epoll, holding no lock.
    ///
    /// # Errors
    ///
    /// As [`Epoll::wait_deadline`].
    #[inline]
    pub fn wait_deadline<const M: usize>(
        &self,
        events: &mut Events<M>,
        deadline: Deadline,
    ) -> Result<usize> {
        self.epoll()?.wait_deadline(events, deadline)
    }

    /// [`Epoll::wait_uninterrupted`] on the registry's epoll, holding no
    /// lock.
    ///
    /// # Errors
    ///
    /// As [`Epoll::wait_uninterrupted`].
    #[inline]
    pub fn wait_uninterrupted<const M: usize>(
        &self,
        events: &mut Events<M>,
        timeout: Timeout,
    ) -> Result<usize> {
        self.epoll()?.wait_uninterrupted(events, timeout)
    }

    /// Hands each event of `events` to `handler`, stopping at the first
    /// error, which it returns.
    ///
    /// * An event for a live source comes as [`Target::Source`] with that
    ///   source's guard (its lock held until the guard is dropped, at the
    ///   latest when the handler returns).
    /// * An event whose token is not a registry's (your own fds, under
    ///   tokens below [`Token::REGISTRY_BIT`]) comes as
    ///   [`Target::Foreign`].
    /// * An event for a removed source (by any thread) is dropped and
    ///   counted in [`stale_events`](SharedRegistry::stale_events).
    ///
    /// After an error the rest of the batch is not handled: with
    /// [`ONESHOT`](Interest::ONESHOT) those sources stay disarmed, so treat
    /// an error as the end of the loop, or re-arm them. Returns how many
    /// events were handled.
    ///
    /// # Errors
    ///
    /// The first error `handler` returns.
    #[inline]
    pub fn try_dispatch<const M: usize, E>(
        &self,
        events: &Events<M>,
        mut handler: impl FnMut(Target<'_, S, N>, Event) -> core::result::Result<(), E>,
    ) -> core::result::Result<usize, E> {
        let mut count = 0;
        for event in events {
            let token = event.token();
            let target = if token.is_registry() {
                match self.lock(token) {
                    Ok(guard) => Target::Source(guard),
                    // This thread holds the source: a dispatch nested in
                    // that source's own handler, which is handling it.
                    Err(Errno::DEADLK) => continue,
                    Err(_) => {
                        self.stale.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                }
            } else {
                Target::Foreign(token)
            };
            handler(target, event)?;
            count += 1;
        }
        Ok(count)
    }

    /// Hands each event for a live source to `handler` with its guard;
    /// drops (and counts) stale ones and skips foreign ones (tokens below
    /// [`Token::REGISTRY_BIT`], not counted), as [`Registry::dispatch`](crate::Registry::dispatch)
    /// does. Returns how many events were handled.
    #[inline]
    pub fn dispatch<const M: usize>(
        &self,
        events: &Events<M>,
        mut handler: impl FnMut(SlotGuard<'_, S, N>, Event),
    ) -> usize {
        let mut count = 0;
        let result = self.try_dispatch(events, |target, event| {
            if let Target::Source(guard) = target {
                handler(guard, event);
                count += 1;
            }
            Ok::<(), core::convert::Infallible>(())
        });
        match result {
            Ok(_) => count,
            Err(never) => match never {},
        }
    }
}

impl<S: AsFd, const N: usize> Default for SharedRegistry<S, N> {
    /// [`SharedRegistry::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<S, const N: usize> fmt::Debug for SharedRegistry<S, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedRegistry")
            .field("epoll", &self.epoll.get())
            .field("len", &self.len.load(Ordering::Relaxed))
            .field("capacity", &N)
            .field("stale_events", &self.stale.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// What [`SharedRegistry::try_dispatch`] hands the handler for one event.
pub enum Target<'a, S: AsFd, const N: usize> {
    /// The event's source, locked.
    Source(SlotGuard<'a, S, N>),
    /// A token that is not a registry's (below [`Token::REGISTRY_BIT`]):
    /// an fd you added to the registry's epoll yourself.
    Foreign(Token),
}

impl<S: AsFd, const N: usize> fmt::Debug for Target<'_, S, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Source(guard) => f.debug_tuple("Source").field(guard).finish(),
            Target::Foreign(token) => f.debug_tuple("Foreign").field(token).finish(),
        }
    }
}

/// One live source of a [`SharedRegistry`], locked: no other thread can
/// reach it (or remove it) until the guard is dropped.
///
/// Derefs to the source. [`rearm`](SlotGuard::rearm) re-arms it,
/// [`remove`](SlotGuard::remove) takes it out of the registry.
pub struct SlotGuard<'a, S: AsFd, const N: usize> {
    registry: &'a SharedRegistry<S, N>,
    index: usize,
    token: Token,
    held: Held<'a, S>,
}

impl<S: AsFd, const N: usize> SlotGuard<'_, S, N> {
    /// The source's token.
    #[inline]
    #[must_use]
    pub fn token(&self) -> Token {
        self.token
    }

    #[inline]
    fn source(&self) -> &S {
        // Some: a guard is made only for an occupied slot, and only
        // `remove` (which consumes the guard) empties it.
        self.held.source.as_ref().unwrap_or_else(|| unreachable!())
    }

    /// `epoll_ctl(MOD)`—Re-arms the source (after a
    /// [`ONESHOT`](Interest::ONESHOT) event) or changes its interest, under
    /// the same token.
    ///
    /// # Errors
    ///
    /// As [`Epoll::modify`].
    #[inline]
    pub fn rearm(&self, interest: Interest) -> Result<()> {
        // The epoll exists: the source was added to it.
        self.registry
            .epoll()?
            .modify(self.source(), self.token, interest)
    }

    /// `epoll_ctl(DEL)`—Unregisters the source and gives it back (dropping
    /// it closes it); every token for the slot goes stale. As
    /// [`SharedRegistry::remove`], without looking it up again.
    #[inline]
    #[must_use = "dropping the source closes it: `drop(guard.remove())` says so"]
    pub fn remove(mut self) -> S {
        let source = self.held.source.take().unwrap_or_else(|| unreachable!());
        let generation = &self.registry.slots[self.index].generation;
        generation.store(
            next_generation(generation.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        if let Some(epoll) = self.registry.epoll.get() {
            // See Registry::remove: ENOENT/EBADF leave nothing registered
            // under a live token; and in a child made by fork the
            // registration is the parent's, not to be deleted.
            if self.registry.owner.load(Ordering::Relaxed) == current_process() {
                let _ = epoll.delete(&source);
            }
        }
        let (registry, index) = (self.registry, self.index);
        drop(self);
        registry.release_slot(index as u32);
        registry.len.fetch_sub(1, Ordering::Relaxed);
        source
    }
}

impl<S: AsFd, const N: usize> Deref for SlotGuard<'_, S, N> {
    type Target = S;
    #[inline]
    fn deref(&self) -> &S {
        self.source()
    }
}

impl<S: AsFd, const N: usize> DerefMut for SlotGuard<'_, S, N> {
    #[inline]
    fn deref_mut(&mut self) -> &mut S {
        self.held.source.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl<S: AsFd, const N: usize> fmt::Debug for SlotGuard<'_, S, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlotGuard")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}
