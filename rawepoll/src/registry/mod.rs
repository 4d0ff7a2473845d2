//! A fixed-capacity set of registered sources with generation-checked
//! tokens: [`Registry`].
//!
//! # The bug it prevents
//!
//! With a bare epoll, the token of a registration is whatever the program
//! chose, often the fd number or a slab index. Then:
//!
//! ```text
//! wait() -> [event for token 7 (conn A), event for token 9 (conn B)]
//! handle token 7: A hung up -> delete A, close A (fd 7), accept C -> fd 7 again,
//!                 store C at index 7, register C with token 7
//! handle token 9: fine
//! ...next batch, or a later event for token 7 from this batch:
//!                 dispatched to C, though it was about A
//! ```
//!
//! An event already in the buffer (or, if A's file was `dup`'d, new events
//! for A's still-open file) carries the old token, which now names C: C is
//! read when it has nothing, or A's hang-up closes C. mio and polling leave
//! this to the user. A [`Registry`] packs a per-slot *generation* into each
//! token and bumps it when the slot is freed, so an event for a removed
//! source is recognized as stale and dropped (and counted), never handed to
//! the source that reused its slot or fd number. It also always deletes a
//! source from the epoll *before* giving it back to be closed.

pub(crate) mod shared;

pub use shared::{SharedRegistry, SlotGuard, Target};

use core::fmt;

use rustix::fd::AsFd;
use rustix::io::Errno;

use crate::epoll::Epoll;
use crate::event::{Event, Events};
use crate::interest::{Interest, Token};
use crate::sigset::SigSet;
use crate::slab::Slab;
use crate::timeout::{Deadline, Timeout};
use crate::Result;

/// The calling process's id (`getpid`), as registries record the process
/// whose epoll registrations they manage: a copy made by `fork` must not
/// delete them (the epoll's open file, and so its registrations, are
/// shared with the parent).
#[inline]
pub(crate) fn current_process() -> u32 {
    rustix::process::getpid().as_raw_nonzero().get() as u32
}

/// Why [`Registry::insert`] failed; the source is handed back, not lost.
///
/// ```
/// use rawepoll::{EventFd, Interest, Registry};
/// use rawepoll::registry::InsertError;
/// # fn main() -> rawepoll::Result<()> {
/// let mut registry = Registry::<EventFd, 1>::new()?;
/// registry.insert(EventFd::new()?, Interest::READABLE).unwrap();
/// match registry.insert(EventFd::new()?, Interest::READABLE) {
///     Err(InsertError::Full(source)) => drop(source), // closed here, by us
///     _ => unreachable!(),
/// }
/// # Ok(()) }
/// ```
pub enum InsertError<S, F = S> {
    /// All `N` slots are taken: the source, or for
    /// [`insert_with`](Registry::insert_with) the closure that was not run.
    Full(F),
    /// `epoll_ctl(ADD)` failed with this errno (see [`Epoll::add`]).
    Errno(Errno, S),
}

impl<S> InsertError<S> {
    /// The source that was not inserted.
    pub fn into_source(self) -> S {
        match self {
            InsertError::Full(s) | InsertError::Errno(_, s) => s,
        }
    }
}

impl<S, F> InsertError<S, F> {
    /// The errno: `ENOSPC` for a full registry (as the kernel says for a
    /// full epoll), otherwise what `epoll_ctl` answered.
    pub fn errno(&self) -> Errno {
        match self {
            InsertError::Full(_) => Errno::NOSPC,
            InsertError::Errno(e, _) => *e,
        }
    }

    #[inline]
    pub(crate) fn map_full<G>(self, f: impl FnOnce(F) -> G) -> InsertError<S, G> {
        match self {
            InsertError::Full(make) => InsertError::Full(f(make)),
            InsertError::Errno(e, s) => InsertError::Errno(e, s),
        }
    }
}

impl<S, F> fmt::Debug for InsertError<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InsertError::Full(_) => f.write_str("Full"),
            InsertError::Errno(e, _) => f.debug_tuple("Errno").field(e).finish(),
        }
    }
}

impl<S, F> fmt::Display for InsertError<S, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InsertError::Full(_) => f.write_str("registry full"),
            InsertError::Errno(e, _) => write!(f, "epoll_ctl(ADD) failed: {e}"),
        }
    }
}

#[cfg(feature = "std")]
impl<S, F> std::error::Error for InsertError<S, F> {}

impl<S, F> From<InsertError<S, F>> for Errno {
    /// The [`errno`](InsertError::errno) (`ENOSPC` when full), for `?` in
    /// a function that returns [`Errno`]; the source is dropped, which
    /// closes it (match the error to keep it).
    #[inline]
    fn from(e: InsertError<S, F>) -> Self {
        e.errno()
    }
}

#[cfg(feature = "std")]
impl<S, F> From<InsertError<S, F>> for std::io::Error {
    /// The [`errno`](InsertError::errno) (`ENOSPC` when full); the source
    /// is dropped, which closes it.
    fn from(e: InsertError<S, F>) -> Self {
        std::io::Error::from_raw_os_error(e.errno().raw_os_error())
    }
}

/// Up to `N` sources of type `S`, registered in an [`Epoll`] it owns, each
/// under a token that packs its slot and a generation.
///
/// One thread: for a registry that several threads insert into, remove
/// from and wait on at once, see [`SharedRegistry`]
/// (the same tokens and guarantee, through `&self`).
///
/// No allocation: the slots are an array inside the value, so a `Registry`
/// lives on the stack or inside another value. A large one (a
/// `Registry<TcpStream, 65536>` is 768 KiB) belongs on the heap:
/// [`new_boxed`](Registry::new_boxed) (std) builds it there in place, never
/// on the stack. For a `static`, use a [`SharedRegistry`],
/// whose `new` is a `const fn`.
///
/// * [`insert`](Registry::insert) registers a source and returns its token;
///   a full registry is an error that hands the source back.
/// * [`remove`](Registry::remove) deletes it from the epoll *first*, then
///   returns it to be dropped (closed) by the caller, and bumps the slot's
///   generation so that every token issued for it goes stale.
/// * [`dispatch`](Registry::dispatch) hands each event of a batch to its
///   live source and drops events whose token is stale, counting them in
///   [`stale_events`](Registry::stale_events).
///
/// Tokens: slot index in the low 32 bits, generation in bits 32 to 62, and
/// [`Token::REGISTRY_BIT`] (bit 63) set, so a registry's tokens never
/// collide with the small tokens you pick for your own fds in the same
/// epoll: every token below `1 << 63` is yours, and
/// [`try_dispatch`](Registry::try_dispatch) hands you its events.
/// A generation wraps after 2³¹ removals from one slot; only an event that
/// old could be mistaken for a new one.
///
/// # Example
///
/// ```
/// use rawepoll::{EventFd, Events, Interest, Registry, Timeout};
/// # fn main() -> rawepoll::Result<()> {
/// let mut registry = Registry::<EventFd, 16>::new()?;
/// let a = registry.insert(EventFd::new()?, Interest::READABLE).unwrap();
/// let b = registry.insert(EventFd::new()?, Interest::READABLE).unwrap();
/// registry.get(a).unwrap().notify()?;
/// registry.get(b).unwrap().notify()?;
///
/// let mut events = Events::<8>::new();
/// registry.wait(&mut events, Timeout::ZERO)?;
/// let mut handled = 0;
/// registry.dispatch(&events, |reg, token, event| {
///     assert!(event.is_readable());
///     reg.get(token).unwrap().drain().unwrap();
///     // Removing `b` while handling `a` makes b's event in this batch stale.
///     if token == a {
///         drop(reg.remove(b));
///     }
///     handled += 1;
/// });
/// assert_eq!(registry.len(), 1);
/// assert_eq!(handled + registry.stale_events(), 2);
/// # Ok(()) }
/// ```
pub struct Registry<S: AsFd, const N: usize> {
    pub(crate) stale: u64,
    /// The process that registers the sources (0 until the first insert
    /// of a registry made by `with_epoll`, a `const fn`): in any other, a
    /// child made by `fork`, `remove` does not delete from the shared
    /// epoll.
    pub(crate) owner: u32,
    pub(crate) epoll: Epoll,
    pub(crate) sources: Slab<S, N>,
}

impl<S: AsFd, const N: usize> Registry<S, N> {
    /// `epoll_create1(EPOLL_CLOEXEC)`—A registry with a new epoll instance.
    ///
    /// # Errors
    ///
    /// As [`Epoll::new`].
    #[inline]
    pub fn new() -> Result<Self> {
        let mut registry = Self::with_epoll(Epoll::new()?);
        registry.owner = current_process();
        Ok(registry)
    }

    /// A registry that registers its sources in `epoll` (which should have
    /// nothing else registered under tokens that could look like a
    /// registry's: use [`Registry::epoll`] only to wait, not to add).
    #[inline]
    #[must_use]
    pub const fn with_epoll(epoll: Epoll) -> Self {
        Registry {
            stale: 0,
            owner: 0,
            epoll,
            sources: Slab::new(),
        }
    }

    /// The epoll instance the sources are registered in.
    #[inline]
    #[must_use]
    pub fn epoll(&self) -> &Epoll {
        &self.epoll
    }

    /// How many sources are registered.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    /// Whether no source is registered.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// `N`: the most sources it can hold.
    #[inline]
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// How many events [`dispatch`](Registry::dispatch) has dropped because
    /// their token named a removed source.
    #[inline]
    #[must_use]
    pub fn stale_events(&self) -> u64 {
        self.stale
    }

    /// `epoll_ctl(ADD)`—Registers `source` for `interest` and keeps it;
    /// returns its token.
    ///
    /// # Errors
    ///
    /// [`InsertError::Full`] when all `N` slots are taken;
    /// [`InsertError::Errno`] with what `epoll_ctl` answered (see
    /// [`Epoll::add`]). Either way the source is handed back, untouched.
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    pub fn insert(
        &mut self,
        source: S,
        interest: Interest,
    ) -> core::result::Result<Token, InsertError<S>> {
        self.insert_with(|_| source, interest)
            .map_err(|e| e.map_full(|make| make(Token(0))))
    }

    /// `epoll_ctl(ADD)`—Makes the source with its own token (for a source
    /// that must know it: a connection that logs it, a timer keyed by it),
    /// registers it for `interest` and keeps it; returns the token.
    ///
    /// `make` runs only once a slot is free: when the registry is full it
    /// is handed back unrun in [`InsertError::Full`].
    ///
    /// # Errors
    ///
    /// [`InsertError::Full`] with `make` when all `N` slots are taken;
    /// [`InsertError::Errno`] with the made source and what `epoll_ctl`
    /// answered. Either way nothing changes in the registry.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{EventFd, Interest, Registry, Token};
    /// struct Named { token: Token, fd: EventFd }
    /// impl rawepoll::AsFd for Named {
    ///     fn as_fd(&self) -> rawepoll::BorrowedFd<'_> { self.fd.as_fd() }
    /// }
    /// # fn main() -> rawepoll::Result<()> {
    /// let mut registry = Registry::<Named, 4>::new()?;
    /// let fd = EventFd::new()?;
    /// let token = registry
    ///     .insert_with(|token| Named { token, fd }, Interest::READABLE)
    ///     .map_err(|e| e.errno())?;
    /// assert_eq!(registry.get(token).unwrap().token, token);
    /// # Ok(()) }
    /// ```
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    pub fn insert_with<F: FnOnce(Token) -> S>(
        &mut self,
        make: F,
        interest: Interest,
    ) -> core::result::Result<Token, InsertError<S, F>> {
        // The token first, register, and only then store the source, so a
        // failed registration changes nothing.
        let Some(token) = self.sources.next_token() else {
            return Err(InsertError::Full(make));
        };
        let source = make(token);
        if self.owner == 0 {
            self.owner = current_process();
        }
        if let Err(e) = self.epoll.add(&source, token, interest) {
            return Err(InsertError::Errno(e, source));
        }
        match self.sources.insert(source) {
            Ok(stored) => {
                debug_assert_eq!(stored, token);
                Ok(token)
            }
            // Unreachable: next_token found the slot free.
            Err(source) => Err(InsertError::Errno(Errno::NOSPC, source)),
        }
    }

    /// `epoll_ctl(MOD)`—Changes the interest of the source under `token`;
    /// the way to re-arm a [`ONESHOT`](Interest::ONESHOT) registration. The
    /// token stays the same.
    ///
    /// # Errors
    ///
    /// `ENOENT` when `token` is stale or was never issued; otherwise as
    /// [`Epoll::modify`].
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    pub fn modify(&mut self, token: Token, interest: Interest) -> Result<()> {
        let source = self.get(token).ok_or(Errno::NOENT)?;
        self.epoll.modify(source, token, interest)
    }

    /// `epoll_ctl(DEL)`—Unregisters the source under `token` and gives it
    /// back (dropping it closes it); `None` when the token is stale.
    ///
    /// The source is deleted from the epoll before it is returned, so
    /// closing it cannot leave a registration behind, even if its file
    /// lives on through a `dup`. Every token issued for the slot goes stale.
    ///
    /// # After `fork`
    ///
    /// A child made by `fork` has a copy of the registry, but shares the
    /// epoll's open file, and so every registration, with its parent: a
    /// `DEL` made by the child would silently unregister the parent's
    /// source (the parent would still list it and get no more events). So
    /// in any process other than the one that registered the sources, the
    /// registry forgets the source without deleting it from the epoll: the
    /// child gets its copy of the fd back to close, the parent keeps its
    /// registration. (One `getpid` per `remove` tells the two apart.) A
    /// child that wants an event loop of its own makes a new registry.
    ///
    /// # Why `epoll_ctl(DEL)`'s error is not returned
    ///
    /// The source was added successfully and the registry still owns it,
    /// so `EPERM` (unsupported fd), `EINVAL` (the epoll itself) and `ENOMEM`
    /// (DEL allocates nothing) cannot happen. What can:
    ///
    /// * `ENOENT`: the fd was deleted behind the registry's back through
    ///   [`epoll`](Registry::epoll), or the source's `as_fd` now answers a
    ///   different fd than at insert (its fd was replaced through
    ///   [`get_mut`](Registry::get_mut));
    /// * `EBADF`: the source's `as_fd` answers an fd it does not own and
    ///   that was closed.
    ///
    /// In each case the source is no longer registered under a live token:
    /// whatever registration is left (only if its file is still open
    /// somewhere) carries a token of the old generation, and
    /// [`dispatch`](Registry::dispatch) drops and counts its events as
    /// stale. The source is handed back either way, so nothing is lost and
    /// no error would leave the caller anything to do.
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    #[inline]
    pub fn remove(&mut self, token: Token) -> Option<S> {
        let source = self.sources.remove(token)?;
        // ENOENT if someone deleted it behind our back through `epoll()`:
        // then there is nothing left to delete. Not in a child made by
        // fork: the registration is its parent's.
        if self.owner == current_process() {
            let _ = self.epoll.delete(&source);
        }
        Some(source)
    }

    /// The source under `token`, if the token is live.
    #[inline]
    #[must_use]
    pub fn get(&self, token: Token) -> Option<&S> {
        self.sources.get(token)
    }

    /// The source under `token`, mutably, if the token is live.
    #[inline]
    pub fn get_mut(&mut self, token: Token) -> Option<&mut S> {
        self.sources.get_mut(token)
    }

    /// Whether `token` names a live source.
    #[inline]
    #[must_use]
    pub fn contains(&self, token: Token) -> bool {
        self.sources.contains(token)
    }

    /// Every live source with its token, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (Token, &S)> + '_ {
        self.sources.iter()
    }

    /// Every live source with its token, mutably, in slot order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Token, &mut S)> + '_ {
        self.sources.iter_mut()
    }

    /// [`Epoll::wait`] on the registry's epoll.
    ///
    /// # Errors
    ///
    /// As [`Epoll::wait`].
    ///
    /// # References
    ///  - [epoll_wait(2)](https://man7.org/linux/man-pages/man2/epoll_wait.2.html)
    #[inline]
    pub fn wait<const M: usize>(&self, events: &mut Events<M>, timeout: Timeout) -> Result<usize> {
        self.epoll.wait(events, timeout)
    }

    /// [`Epoll::pwait`] on the registry's epoll: the wait with `mask` as
    /// the signal mask.
    ///
    /// # Errors
    ///
    /// As [`Epoll::pwait`].
    ///
    /// # References
    ///  - [epoll_pwait(2)](https://man7.org/linux/man-pages/man2/epoll_pwait.2.html)
    #[inline]
    pub fn pwait<const M: usize>(
        &self,
        events: &mut Events<M>,
        timeout: Timeout,
        mask: &SigSet,
    ) -> Result<usize> {
        self.epoll.pwait(events, timeout, mask)
    }

    /// [`Epoll::wait_deadline`] on the registry's epoll: `EINTR` retried
    /// with the time left.
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
        self.epoll.wait_deadline(events, deadline)
    }

    /// [`Epoll::wait_uninterrupted`] on the registry's epoll.
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
        self.epoll.wait_uninterrupted(events, timeout)
    }

    /// Hands each event of `events` to `handler`, stopping at the first
    /// error, which it returns: the loop's `?` works inside the handler.
    ///
    /// * An event whose token names a live source reaches `handler` with
    ///   that token.
    /// * An event whose token is not a registry's (below
    ///   [`Token::REGISTRY_BIT`]: the fds you added yourself to
    ///   [`epoll`](Registry::epoll) under tokens you picked) reaches
    ///   `handler` too, with that token, for which [`get`](Registry::get)
    ///   answers `None`.
    /// * An event for a removed source is dropped and counted in
    ///   [`stale_events`](Registry::stale_events).
    ///
    /// After an error, the rest of the batch is not handled: a
    /// level-triggered fd reports its readiness again at the next wait; an
    /// edge-triggered or one-shot one does not, so treat an error as the end
    /// of the loop (or of that source) there. Returns how many events were
    /// handled.
    ///
    /// # Errors
    ///
    /// The first error `handler` returns.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{EventFd, Events, Interest, Registry, Timeout, Token};
    /// # fn main() -> rawepoll::Result<()> {
    /// const WAKER: Token = Token(1); // our own: below Token::REGISTRY_BIT
    /// let mut registry = Registry::<EventFd, 16>::new()?;
    /// let waker = EventFd::new()?;
    /// registry.epoll().add(&waker, WAKER, Interest::READABLE)?;
    /// let conn = registry.insert(EventFd::new()?, Interest::READABLE).map_err(|e| e.errno())?;
    /// registry.get(conn).unwrap().notify()?;
    /// waker.notify()?;
    ///
    /// let mut events = Events::<8>::new();
    /// registry.wait(&mut events, Timeout::ZERO)?;
    /// let mut woken = false;
    /// let handled = registry.try_dispatch(&events, |reg, token, _event| {
    ///     match token {
    ///         WAKER => woken = waker.drain()? > 0,
    ///         token => drop(reg.get(token).unwrap().drain()?),
    ///     }
    ///     Ok::<(), rawepoll::Errno>(())
    /// })?;
    /// assert_eq!((handled, woken), (2, true));
    /// # Ok(()) }
    /// ```
    #[inline]
    pub fn try_dispatch<const M: usize, E>(
        &mut self,
        events: &Events<M>,
        mut handler: impl FnMut(&mut Self, Token, Event) -> core::result::Result<(), E>,
    ) -> core::result::Result<usize, E> {
        let mut count = 0;
        for event in events {
            let token = event.token();
            if token.is_registry() && !self.contains(token) {
                self.stale += 1;
                continue;
            }
            handler(self, token, event)?;
            count += 1;
        }
        Ok(count)
    }

    /// Hands each event of `events` to `handler` with the registry and the
    /// event's token, if the token still names a live source. An event
    /// under a token of the registry's range whose source is gone is
    /// dropped and counted ([`stale_events`](Registry::stale_events)); one
    /// under a token of your own (below [`Token::REGISTRY_BIT`]: an fd you
    /// added to [`epoll`](Registry::epoll) yourself) is skipped, not
    /// counted: it is not stale, only not the registry's
    /// ([`try_dispatch`](Registry::try_dispatch) hands those through).
    /// [`SharedRegistry::dispatch`] follows the same rule.
    ///
    /// Liveness is checked for each event just before its handler runs, so
    /// a handler that removes a source makes the rest of the batch's events
    /// for it stale. Returns how many events were handled.
    #[inline]
    pub fn dispatch<const M: usize>(
        &mut self,
        events: &Events<M>,
        mut handler: impl FnMut(&mut Self, Token, Event),
    ) -> usize {
        let mut delivered = 0;
        for event in events {
            if self.contains(event.token()) {
                handler(self, event.token(), event);
                delivered += 1;
            } else if event.token().is_registry() {
                self.stale += 1;
            }
        }
        delivered
    }
}

impl<S: AsFd, const N: usize> fmt::Debug for Registry<S, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("epoll", &self.epoll)
            .field("len", &self.sources.len())
            .field("capacity", &N)
            .field("stale_events", &self.stale)
            // The sources need not be Debug; the free list is internal.
            .finish_non_exhaustive()
    }
}
