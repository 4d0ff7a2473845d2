//! Many deadlines on one wait: [`TimerSet`], a fixed-capacity set of timers
//! kept in user space, with generation-checked [`TimerHandle`]s.
//!
//! Event loops that scale (libuv, nginx, tokio) do not spend a file
//! descriptor per deadline: they keep deadlines in memory and pass the
//! earliest one as the wait's timeout. rawepoll's waits honour a timeout to
//! the nanosecond (`epoll_pwait2`), so a timer in a `TimerSet` fires within
//! the kernel's timer slack of its deadline, not on the next millisecond
//! tick.

use core::fmt;
use core::time::Duration;

use crate::slab::Slab;
use crate::{Clock, Errno, Result, Timeout, TimerFd, Token};

/// Children per node of the heap (see the module docs for why four).
const ARITY: usize = 4;

/// A handle to one timer of a [`TimerSet`]: its slot and that slot's
/// generation when the timer was inserted.
///
/// Once the timer has fired, been cancelled, or its slot reused by another
/// timer, the handle is *stale*: every method given it does nothing and
/// says so (`None` or `false`), and never touches the timer that reuses the
/// slot. The slots are rawepoll's [`Slab`]'s, with its generations: 31 bits
/// that wrap after 2³¹ reuses of a slot; only a handle that old could be
/// mistaken for a new one.
///
/// # Example
///
/// ```
/// use core::time::Duration;
/// use rawepoll::TimerSet;
///
/// let mut timers = TimerSet::<&str, 4>::new();
/// let handle = timers.insert_after(Duration::from_secs(5), "idle").unwrap();
/// assert_eq!(timers.cancel(handle), Some("idle"));
/// // Cancelled: the handle is stale now, and says so.
/// assert_eq!(timers.cancel(handle), None);
/// assert!(!timers.reset_after(handle, Duration::from_secs(5)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct TimerHandle {
    slot: u32,
    generation: u32,
}

impl TimerHandle {
    /// The handle as one `u64` (slot in the low 32 bits, generation in the
    /// high 32), to keep in a [`Token`] or a C-sized field.
    #[inline]
    #[must_use]
    pub const fn to_u64(self) -> u64 {
        (self.generation as u64) << 32 | self.slot as u64
    }

    /// The handle [`to_u64`](TimerHandle::to_u64) packed. Any value is
    /// accepted: one that no timer has is simply stale.
    #[inline]
    #[must_use]
    pub const fn from_u64(value: u64) -> Self {
        TimerHandle {
            slot: value as u32,
            generation: (value >> 32) as u32,
        }
    }

    /// The slab token: the same two halves.
    #[inline]
    const fn token(self) -> Token {
        Token::from_parts(self.slot, self.generation)
    }

    #[inline]
    const fn of(token: Token) -> Self {
        Self::from_u64(token.0)
    }
}

/// The error of [`TimerSet::insert_at`] when all `N` slots hold a timer:
/// the key comes back, nothing is lost.
///
/// [`errno`](TimerSetFull::errno) is `ENOSPC`; with the `std` feature it
/// converts into `std::io::Error` for `?`.
///
/// # Example
///
/// ```
/// use core::time::Duration;
/// use rawepoll::{Errno, TimerSet};
///
/// let mut timers = TimerSet::<u32, 1>::new();
/// timers.insert_after(Duration::from_secs(1), 1).unwrap();
/// let full = timers.insert_after(Duration::from_secs(1), 2).unwrap_err();
/// assert_eq!(full.errno(), Errno::NOSPC);
/// assert_eq!(full.into_key(), 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerSetFull<K>(pub K);

impl<K> TimerSetFull<K> {
    /// The key that was not inserted.
    #[inline]
    pub fn into_key(self) -> K {
        self.0
    }

    /// `ENOSPC`, as the kernel says for a full table.
    #[inline]
    #[must_use]
    pub const fn errno(&self) -> Errno {
        Errno::NOSPC
    }
}

impl<K> fmt::Debug for TimerSetFull<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key need not be Debug.
        f.write_str("TimerSetFull")
    }
}

impl<K> fmt::Display for TimerSetFull<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timer set full")
    }
}

#[cfg(feature = "std")]
impl<K> std::error::Error for TimerSetFull<K> {}

#[cfg(feature = "std")]
impl<K> From<TimerSetFull<K>> for std::io::Error {
    /// An error of kind `StorageFull` (`ENOSPC`); the key is dropped.
    fn from(full: TimerSetFull<K>) -> Self {
        std::io::Error::from_raw_os_error(full.errno().raw_os_error())
    }
}

/// A heap entry: the deadline and sequence the heap orders by (never later
/// than the slot's own, see the module docs) and the slot it stands for.
#[derive(Clone, Copy)]
struct Entry {
    when: u64,
    seq: u64,
    slot: u32,
}

impl Entry {
    const EMPTY: Entry = Entry {
        when: 0,
        seq: 0,
        slot: 0,
    };

    #[inline]
    fn before(&self, other: &Entry) -> bool {
        (self.when, self.seq) < (other.when, other.seq)
    }
}

/// One timer, in the set's slab.
struct Timer<K> {
    key: K,
    /// The real deadline (nanoseconds on the set's clock) and sequence.
    when: u64,
    seq: u64,
}

/// Up to `N` timers, each a deadline with a key of type `K`; no allocation,
/// no file descriptor, `const fn new`.
///
/// The loop asks the set for the [`timeout`](TimerSet::timeout) until its
/// earliest deadline, waits that long (or until an event), then takes the
/// [`expired`](TimerSet::expired) keys in deadline order. Each insertion
/// returns a [`TimerHandle`] to [`cancel`](TimerSet::cancel) or
/// [`reset`](TimerSet::reset_after) the timer.
///
/// `N` is at most `u32::MAX - 1` (a larger one is a compile error). The set holds `N` slots and `N` heap
/// entries inline (68 bytes per timer on 64-bit targets for a key of up to
/// 8 bytes, 60 for a reference): a large
/// set belongs in a `static` or a `Box`, or on a thread with a big stack.
///
/// # Costs, and why a heap
///
/// A quaternary (4-ary) min-heap of `(deadline, sequence)` entries, indexed
/// by a [`Slab`] (the one every registry uses) that holds each timer's key,
/// its real deadline and its position in the heap, under the slot's
/// generation:
///
/// * **insert** and **cancel** are O(log₄ n): a sift up, or a swap with the
///   last entry and one sift.
/// * **reset to a later deadline** (postponing, the hot operation of idle
///   timeouts: a connection postpones on every read) is O(1): it writes the
///   slot and leaves the heap entry where it is, with its old, earlier
///   deadline. The heap's order only ever needs an entry's key to be *no
///   later* than its real deadline. When such an entry reaches the top, the
///   set moves it down to its real deadline once, however many times it was
///   postponed. A reset to an *earlier* deadline sifts up at once.
/// * **the earliest deadline** is the top, after the settling just
///   described; **expiry** pops the top, O(log₄ n).
///
/// Why not a timing wheel: a wheel is O(1) per operation but rounds every
/// deadline to its tick, and the point of this set is to fire at the
/// nanosecond deadline `epoll_pwait2` can wait for; a hierarchical wheel
/// with fine ticks needs several levels and cascades. tokio's `DelayQueue`
/// is such a wheel (millisecond ticks): in the `timer_bench` example it
/// cost 2–25× more per insert, cancel and reset than this heap, and
/// 1.3–1.9× more per expiry (BENCHMARKS.md, "Timers").
///
/// Why four children: measured with `timer_bench` at 2, 4 and 8 children
/// (ns per operation, typical of three interleaved runs, 1,000 / 100,000
/// timers active):
///
/// | children | insert | cancel | reset | expire |
/// |---|---|---|---|---|
/// | 2 | 8.5 / 15.7 | 9.3 / 17.4 | 5.4 / 21.6 | 40 / 47 |
/// | **4** | 7.3 / 11.6 | 8.5 / 15.3 | 4.6 / 16.0 | 33 / 56 |
/// | 8 | 6.5 / 8.9 | 8.2 / 13.7 | 4.4 / 13.4 | 41 / 59 |
///
/// Two children expire cheapest with 100,000 timers but cost more for
/// everything else; eight cost least at 100,000 but expire slowest. Four
/// is the balance, and the best for a thousand timers, the common size.
///
/// Equal deadlines fire in the order their timers were inserted (a reset
/// counts as a new insertion): each entry carries a 64-bit sequence number
/// that breaks ties.
///
/// # Accuracy
///
/// A wait's timeout is subject to the thread's *timer slack*: the kernel
/// may end it up to that late, to batch wake-ups (50 µs by default, set
/// with `prctl(PR_SET_TIMERSLACK)`; at least 0.1% of the timeout). A
/// timerfd is not. Measured by `timer_bench` (10,000 timers over 5 s,
/// default slack), the p50 / p99 lateness was 87 / 188 µs waiting on
/// [`timeout`](TimerSet::timeout), 32 / 82 µs driving one `TimerFd` with
/// [`arm`](TimerSet::arm), and 1,062 / 1,970 µs for tokio's `sleep`. With
/// the slack at 1 ns, waiting on the timeout matched the timerfd (27 / 78
/// µs).
///
/// # Time
///
/// Deadlines are [`Duration`]s on the set's [`Clock`] (the scale of
/// [`Clock::now`] and [`TimerFd::set_at`]): [`Clock::Monotonic`] by
/// default, [`Clock::Boottime`] for deadlines that must count time spent in
/// suspend. A wait's own timeout counts on the monotonic clock, so a set on
/// the boot-time clock that must fire on time after a resume is driven
/// through a [`TimerFd`] on the same clock ([`TimerSet::arm`]).
///
/// # Example
///
/// ```
/// use core::time::Duration;
/// use rawepoll::{Epoll, Events, TimerSet};
/// # fn main() -> rawepoll::Result<()> {
/// let epoll = Epoll::new()?;
/// let mut timers = TimerSet::<&str, 8>::new();
/// timers.insert_after(Duration::from_millis(2), "second").unwrap();
/// timers.insert_after(Duration::from_millis(1), "first").unwrap();
///
/// let mut events = Events::<8>::new();
/// let mut fired = Vec::new();
/// while !timers.is_empty() {
///   // No fd is ready: the wait returns at the earliest deadline.
///   epoll.wait(&mut events, timers.timeout())?;
///   for (_handle, key) in timers.expired() {
///       fired.push(key);
///   }
/// }
/// assert_eq!(fired, ["first", "second"]);
/// # Ok(()) }
/// ```
///
/// An idle timeout per connection, postponed on every read (O(1)):
///
/// ```
/// use core::time::Duration;
/// use rawepoll::{TimerSet};
/// use rawepoll::timer_set::TimerHandle;
///
/// const IDLE: Duration = Duration::from_secs(30);
/// struct Connection { idle: TimerHandle }
///
/// let mut timers = TimerSet::<usize, 1024>::new();
/// let conn = Connection { idle: timers.insert_after(IDLE, 7).unwrap() };
/// // ... on every read from connection 7:
/// assert!(timers.reset_after(conn.idle, IDLE));
/// ```
pub struct TimerSet<K, const N: usize> {
    clock: Clock,
    next_seq: u64,
    /// `heap[..timers.len]` is the heap.
    heap: [Entry; N],
    /// The heap position of the timer in each slot: kept beside the slab,
    /// not in it, so that a sift writes it without looking into the slot.
    pos: [u32; N],
    /// The timers; all zeros when empty, like the heap, so that a `static`
    /// set (or a `static` runtime) takes no room in the file.
    timers: Slab<Timer<K>, N>,
}

impl<K, const N: usize> TimerSet<K, N> {
    /// A compile-time check: a larger `N` does not build (slot indices and
    /// the free-list end marker are `u32`s).
    const CAPACITY_FITS: () = assert!(
        N < u32::MAX as usize,
        "a TimerSet holds at most u32::MAX - 1 timers"
    );

    /// An empty set on [`Clock::Monotonic`]. No system call: a `TimerSet`
    /// can be a `static` initializer.
    #[inline]
    #[must_use]
    pub const fn new() -> Self {
        Self::with_clock(Clock::Monotonic)
    }

    /// An empty set whose deadlines are on `clock` ([`Clock::Boottime`] to
    /// count time spent in suspend; see [Time](TimerSet#time) on waiting
    /// across a suspend).
    #[inline]
    #[must_use]
    pub const fn with_clock(clock: Clock) -> Self {
        let () = Self::CAPACITY_FITS;
        TimerSet {
            clock,
            next_seq: 0,
            heap: [Entry::EMPTY; N],
            pos: [0; N],
            timers: Slab::new(),
        }
    }

    /// The clock the deadlines are on.
    #[inline]
    #[must_use]
    pub const fn clock(&self) -> Clock {
        self.clock
    }

    /// `clock_gettime(clock)`—the set's clock now: the scale of every
    /// deadline it takes and reports. No system call where the vDSO has
    /// the clock (see [`Clock::now`]).
    ///
    /// # References
    ///  - [clock_gettime(2)](https://man7.org/linux/man-pages/man2/clock_gettime.2.html)
    #[inline]
    #[must_use]
    #[doc(alias = "clock_gettime")]
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// How many timers are pending.
    #[inline]
    #[must_use]
    pub const fn len(&self) -> usize {
        self.timers.len()
    }

    /// Whether no timer is pending.
    #[inline]
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.timers.is_empty()
    }

    /// Whether all `N` slots hold a timer: the next insertion fails.
    #[inline]
    #[must_use]
    pub const fn is_full(&self) -> bool {
        self.timers.len() == N
    }

    /// `N`.
    #[inline]
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Adds a timer that expires at `deadline` on the set's clock (the
    /// scale of [`now`](TimerSet::now)); a deadline already past expires at
    /// the next [`expired`](TimerSet::expired). No system call.
    ///
    /// # Errors
    ///
    /// [`TimerSetFull`] (`ENOSPC`) with the key, when all `N` slots hold a
    /// timer.
    #[inline]
    pub fn insert_at(
        &mut self,
        deadline: Duration,
        key: K,
    ) -> core::result::Result<TimerHandle, TimerSetFull<K>> {
        if self.is_full() {
            return Err(TimerSetFull(key));
        }
        let when = nanos(deadline);
        let seq = self.sequence();
        let pos = self.timers.len;
        let token = match self.timers.insert(Timer { key, when, seq }) {
            Ok(token) => token,
            Err(timer) => return Err(TimerSetFull(timer.key)),
        };
        self.heap[pos as usize] = Entry {
            when,
            seq,
            slot: token.index(),
        };
        self.sift_up(pos as usize);
        Ok(TimerHandle::of(token))
    }

    /// Adds a timer that expires `delay` from now: reads the clock, then
    /// [`insert_at`](TimerSet::insert_at).
    ///
    /// # Errors
    ///
    /// [`TimerSetFull`] (`ENOSPC`) with the key, when the set is full.
    #[inline]
    pub fn insert_after(
        &mut self,
        delay: Duration,
        key: K,
    ) -> core::result::Result<TimerHandle, TimerSetFull<K>> {
        let deadline = self.now().saturating_add(delay);
        self.insert_at(deadline, key)
    }

    /// Removes a pending timer and returns its key; `None` (and nothing
    /// else happens) if the handle is stale: the timer already expired or
    /// was cancelled.
    #[inline]
    pub fn cancel(&mut self, handle: TimerHandle) -> Option<K> {
        self.timers.get(handle.token())?;
        self.remove_at(self.pos[handle.slot as usize] as usize)
    }

    /// Moves a pending timer's deadline to `deadline` (later or earlier)
    /// and returns `true`; `false`, and nothing changes, if the handle is
    /// stale. Among equal deadlines the timer now counts as inserted last.
    ///
    /// Postponing is O(1): the heap is touched only when the timer reaches
    /// its top (see [costs](TimerSet#costs-and-why-a-heap)).
    #[inline]
    pub fn reset_at(&mut self, handle: TimerHandle, deadline: Duration) -> bool {
        let Some(timer) = self.timers.get_mut(handle.token()) else {
            return false;
        };
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        timer.when = nanos(deadline);
        timer.seq = seq;
        let pos = self.pos[handle.slot as usize] as usize;
        let moved = Entry {
            when: timer.when,
            seq,
            slot: handle.slot,
        };
        if moved.before(&self.heap[pos]) {
            self.heap[pos] = moved;
            self.sift_up(pos);
        }
        true
    }

    /// Moves a pending timer's deadline to `delay` from now: reads the
    /// clock, then [`reset_at`](TimerSet::reset_at). `false` if the handle
    /// is stale.
    #[inline]
    pub fn reset_after(&mut self, handle: TimerHandle, delay: Duration) -> bool {
        let deadline = self.now().saturating_add(delay);
        self.reset_at(handle, deadline)
    }

    /// Whether the handle's timer is still pending.
    #[inline]
    #[must_use]
    pub fn contains(&self, handle: TimerHandle) -> bool {
        self.timers.contains(handle.token())
    }

    /// The pending timer's key; `None` if the handle is stale.
    #[inline]
    #[must_use]
    pub fn get(&self, handle: TimerHandle) -> Option<&K> {
        Some(&self.timers.get(handle.token())?.key)
    }

    /// The pending timer's key, to change; `None` if the handle is stale.
    #[inline]
    pub fn get_mut(&mut self, handle: TimerHandle) -> Option<&mut K> {
        Some(&mut self.timers.get_mut(handle.token())?.key)
    }

    /// The pending timer's deadline on the set's clock; `None` if the
    /// handle is stale.
    #[inline]
    #[must_use]
    pub fn deadline(&self, handle: TimerHandle) -> Option<Duration> {
        Some(Duration::from_nanos(self.timers.get(handle.token())?.when))
    }

    /// The earliest pending deadline on the set's clock; `None` when the
    /// set is empty. No system call (`&mut self`: it may first move
    /// postponed timers to their place).
    #[inline]
    pub fn next_deadline(&mut self) -> Option<Duration> {
        self.settle();
        if self.is_empty() {
            None
        } else {
            Some(Duration::from_nanos(self.heap[0].when))
        }
    }

    /// The [`Timeout`] until the earliest deadline, to pass to a wait:
    /// [`Timeout::NEVER`] when the set is empty, [`Timeout::ZERO`] once a
    /// deadline has passed, otherwise the time left to the nanosecond.
    /// Reads the clock (vDSO).
    #[inline]
    pub fn timeout(&mut self) -> Timeout {
        match self.next_deadline() {
            None => Timeout::NEVER,
            Some(deadline) => Timeout::from_duration(deadline.saturating_sub(self.now())),
        }
    }

    /// Removes and returns the earliest timer whose deadline is at or
    /// before `now` (on the set's clock), with its handle, which is stale
    /// from here on; `None` when no deadline has come.
    #[inline]
    pub fn pop_expired(&mut self, now: Duration) -> Option<(TimerHandle, K)> {
        self.settle();
        if self.is_empty() || self.heap[0].when > nanos(now) {
            return None;
        }
        let handle = TimerHandle::of(self.timers.token_at(self.heap[0].slot as usize));
        Some((handle, self.remove_at(0)?))
    }

    /// The timers expired now: reads the clock once, then yields each timer
    /// whose deadline is at or before that reading, in deadline order
    /// (equal deadlines in insertion order), removing it. A timer the
    /// iterator has not reached when dropped stays pending.
    #[inline]
    pub fn expired(&mut self) -> Expired<'_, K, N> {
        let now = self.now();
        Expired { set: self, now }
    }

    /// `timerfd_settime(ABSTIME)`—arms `timer` for the earliest deadline,
    /// or disarms it when the set is empty: for a loop that waits on
    /// something other than this set's timeout (an epoll nested in another
    /// event loop, say). Call it after every change to the set's earliest
    /// deadline; `timer` must be on the set's [`clock`](TimerSet::clock).
    ///
    /// # Errors
    ///
    /// What [`TimerFd::set_at`] answers.
    ///
    /// # Example
    ///
    /// ```
    /// use core::time::Duration;
    /// use rawepoll::{TimerFd, TimerSet};
    /// # fn main() -> rawepoll::Result<()> {
    /// let timer = TimerFd::new()?;
    /// let mut timers = TimerSet::<u8, 4>::new();
    /// timers.insert_after(Duration::from_secs(60), 1).unwrap();
    /// timers.arm(&timer)?;
    /// assert!(timer.time_left()?.unwrap() > Duration::from_secs(59));
    /// # Ok(()) }
    /// ```
    ///
    /// # References
    ///  - [timerfd_settime(2)](https://man7.org/linux/man-pages/man2/timerfd_settime.2.html)
    #[inline]
    #[doc(alias = "timerfd_settime")]
    pub fn arm(&mut self, timer: &TimerFd) -> Result<()> {
        match self.next_deadline() {
            None => timer.disarm(),
            Some(deadline) => timer.set_at(deadline, Duration::ZERO),
        }
    }

    /// Removes every timer (dropping the keys); every handle goes stale.
    pub fn clear(&mut self) {
        while !self.is_empty() {
            let pos = self.len() - 1;
            drop(self.remove_at(pos));
        }
    }

    // --- internals -------------------------------------------------------

    #[inline]
    fn sequence(&mut self) -> u64 {
        let seq = self.next_seq;
        // 2⁶⁴ insertions never happen; wrapping keeps it panic-free anyway.
        self.next_seq = seq.wrapping_add(1);
        seq
    }

    /// Brings postponed timers at the top to their real deadline until the
    /// top's key is its real one: then it is the earliest of all.
    #[inline]
    fn settle(&mut self) {
        while !self.is_empty() {
            let top = self.heap[0];
            let Some(s) = self.timers.at(top.slot as usize) else {
                return; // every heap entry's slot holds a timer
            };
            if (top.when, top.seq) == (s.when, s.seq) {
                return;
            }
            self.heap[0] = Entry {
                when: s.when,
                seq: s.seq,
                slot: top.slot,
            };
            self.sift_down(0);
        }
    }

    /// Takes the entry at heap position `pos` out, frees its slot and
    /// returns its key (always `Some`: every heap entry's slot holds a
    /// timer).
    #[inline]
    fn remove_at(&mut self, pos: usize) -> Option<K> {
        let token = self.timers.token_at(self.heap[pos].slot as usize);
        let timer = self.timers.remove(token);
        let last = self.len();
        if pos != last {
            let moved = self.heap[last];
            let up = moved.before(&self.heap[pos]);
            self.place(pos, moved);
            if up {
                self.sift_up(pos);
            } else {
                self.sift_down(pos);
            }
        }
        timer.map(|timer| timer.key)
    }

    /// Puts `entry` at heap position `pos`, and tells its timer.
    #[inline]
    fn place(&mut self, pos: usize, entry: Entry) {
        self.heap[pos] = entry;
        self.pos[entry.slot as usize] = pos as u32;
    }

    #[inline]
    fn sift_up(&mut self, mut pos: usize) {
        let entry = self.heap[pos];
        while pos > 0 {
            let parent = (pos - 1) / ARITY;
            let p = self.heap[parent];
            if !entry.before(&p) {
                break;
            }
            self.place(pos, p);
            pos = parent;
        }
        self.place(pos, entry);
    }

    #[inline]
    fn sift_down(&mut self, mut pos: usize) {
        let len = self.len();
        let entry = self.heap[pos];
        loop {
            let first = pos * ARITY + 1;
            if first >= len {
                break;
            }
            let end = (first + ARITY).min(len);
            let mut best = first;
            for child in first + 1..end {
                if self.heap[child].before(&self.heap[best]) {
                    best = child;
                }
            }
            let c = self.heap[best];
            if !c.before(&entry) {
                break;
            }
            self.place(pos, c);
            pos = best;
        }
        self.place(pos, entry);
    }
}

/// Nanoseconds on the clock's scale; saturates after 584 years.
#[inline]
fn nanos(d: Duration) -> u64 {
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}

impl<K, const N: usize> Default for TimerSet<K, N> {
    /// [`TimerSet::new`].
    fn default() -> Self {
        Self::new()
    }
}

impl<K, const N: usize> fmt::Debug for TimerSet<K, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerSet")
            .field("clock", &self.clock)
            .field("len", &self.len())
            .field("capacity", &N)
            // The keys need not be Debug; the heap is internal.
            .finish_non_exhaustive()
    }
}

/// The iterator of [`TimerSet::expired`]: `(handle, key)` of each timer
/// due at the clock reading taken when it was made, earliest first.
///
/// # Example
///
/// ```
/// use core::time::Duration;
/// use rawepoll::TimerSet;
///
/// let mut timers = TimerSet::<char, 4>::new();
/// let now = timers.now();
/// timers.insert_at(now, 'b').unwrap();
/// timers.insert_at(now.saturating_sub(Duration::from_secs(1)), 'a').unwrap();
/// timers.insert_at(now + Duration::from_secs(60), 'c').unwrap();
/// let keys: Vec<char> = timers.expired().map(|(_, key)| key).collect();
/// assert_eq!(keys, ['a', 'b']);
/// assert_eq!(timers.len(), 1);
/// ```
pub struct Expired<'a, K, const N: usize> {
    set: &'a mut TimerSet<K, N>,
    now: Duration,
}

impl<K, const N: usize> Iterator for Expired<'_, K, N> {
    type Item = (TimerHandle, K);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.set.pop_expired(self.now)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.set.len()))
    }
}

impl<K, const N: usize> fmt::Debug for Expired<'_, K, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expired")
            .field("now", &self.now)
            .field("pending", &self.set.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the heap invariant and the slot links.
    fn check<K, const N: usize>(set: &TimerSet<K, N>) {
        for pos in 0..set.len() {
            let e = set.heap[pos];
            let s = set.timers.at(e.slot as usize).expect("a timer");
            assert_eq!(set.pos[e.slot as usize] as usize, pos);
            assert!(
                (e.when, e.seq) <= (s.when, s.seq),
                "cached key later than real"
            );
            if pos > 0 {
                assert!(!e.before(&set.heap[(pos - 1) / ARITY]), "heap order");
            }
        }
    }

    #[test]
    fn postponed_timers_settle_at_their_real_deadline() {
        let mut set = TimerSet::<u32, 64>::new();
        let handles: [TimerHandle; 64] = core::array::from_fn(|i| {
            set.insert_at(Duration::from_nanos(i as u64), i as u32)
                .unwrap()
        });
        // Postpone every even timer past every odd one, several times.
        for round in 1..4u64 {
            for (i, h) in handles.iter().enumerate().step_by(2) {
                assert!(set.reset_at(*h, Duration::from_nanos(1000 * round + i as u64)));
            }
            check(&set);
        }
        let mut order = [0u32; 64];
        for slot in &mut order {
            *slot = set.pop_expired(Duration::MAX).unwrap().1;
            check(&set);
        }
        let odd_then_even: [u32; 64] = core::array::from_fn(|i| {
            if i < 32 {
                2 * i as u32 + 1
            } else {
                2 * (i as u32 - 32)
            }
        });
        assert_eq!(order, odd_then_even);
        assert!(set.is_empty());
    }

    #[test]
    fn generation_wraps_and_old_handles_stay_stale() {
        let mut set = TimerSet::<u8, 1>::new();
        let first = set.insert_at(Duration::ZERO, 0).unwrap();
        assert_eq!(set.cancel(first), Some(0));
        set.timers.slots[0].generation = u32::MAX; // the last before the wrap
        let old = set.insert_at(Duration::ZERO, 1).unwrap();
        assert_eq!(old.generation, u32::MAX);
        assert_eq!(set.cancel(old), Some(1));
        let new = set.insert_at(Duration::ZERO, 2).unwrap();
        assert_eq!(new.generation, first.generation, "wrapped, tag kept");
        assert_eq!(set.cancel(old), None);
        assert_eq!(set.get(new), Some(&2));
    }
}
