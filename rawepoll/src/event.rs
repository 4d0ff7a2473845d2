//! The kernel's `struct epoll_event` ([`RawEvent`]), its decoded copy
//! ([`Event`]) and the fixed-capacity buffer `epoll_wait` fills ([`Events`]).

use core::fmt;
use core::mem::{align_of, offset_of, size_of};

use crate::interest::Token;

/// Exactly the kernel's `struct epoll_event`, as `epoll_wait(2)` writes it.
///
/// The kernel declares it `__attribute__((packed))` on `x86_64` only, so its
/// layout differs by architecture; this type follows it and the crate checks
/// the layout at compile time for every architecture it builds on:
///
/// | architecture            | size | align | `events` | `data` |
/// |-------------------------|------|-------|----------|--------|
/// | `x86_64` (packed)         | 12   | 1     | 0        | 4      |
/// | x86 (i686)              | 12   | 4     | 0        | 4      |
/// | every other (64 and 32-bit: aarch64, riscv64, armv7, s390x, ppc64le, …) | 16 | 8 | 0 | 8 |
///
/// It is also checked to have the size and alignment of
/// [`rustix::event::epoll::Event`], whose buffer `epoll_wait` is given.
///
/// Because the struct is packed on `x86_64`, never take a reference to a field
/// (`&raw.data` is error E0793 there): copy it out (`{ raw.data }`) or use
/// the accessors, which copy.
///
/// # Example
///
/// ```
/// use rawepoll::{RawEvent, Token};
///
/// let raw = RawEvent::new(0x1, Token(42));
/// assert_eq!(raw.events(), 0x1);
/// assert_eq!(raw.token(), Token(42));
/// #[cfg(target_arch = "x86_64")]
/// assert_eq!(core::mem::size_of::<RawEvent>(), 12);
/// ```
///
/// # References
///  - [epoll_event in epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
#[repr(C)]
#[cfg_attr(target_arch = "x86_64", repr(packed))]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawEvent {
    /// The `EPOLL*` bit mask (`uint32_t events`).
    pub events: u32,
    /// The user data (`epoll_data_t data`), here always the token's `u64`.
    pub data: u64,
}

impl RawEvent {
    /// Builds the struct as `epoll_ctl(2)` would receive it: `events` is the
    /// `EPOLL*` bit mask and `token` the 64-bit user data.
    #[inline]
    #[must_use]
    pub const fn new(events: u32, token: Token) -> Self {
        Self {
            events,
            data: token.0,
        }
    }

    /// The `events` field: the `EPOLL*` bits the kernel reported.
    #[inline]
    #[must_use]
    pub const fn events(&self) -> u32 {
        // A by-value copy of a packed field: no reference is taken.
        self.events
    }

    /// The `data` field, as the [`Token`] given at registration.
    #[inline]
    #[must_use]
    pub const fn token(&self) -> Token {
        Token(self.data)
    }

    /// Decodes this record into an [`Event`].
    #[inline]
    #[must_use]
    pub const fn event(&self) -> Event {
        Event {
            flags: self.events,
            token: Token(self.data),
        }
    }
}

impl fmt::Debug for RawEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Copy the fields out first: formatting takes references.
        let (events, data) = (self.events, self.data);
        f.debug_struct("RawEvent")
            .field("events", &format_args!("{events:#x}"))
            .field("data", &data)
            .finish()
    }
}

// ---------------------------------------------------------------------------
// The layout of `struct epoll_event`, checked at compile time per
// architecture against linux-raw-sys's binding, which is generated from the
// kernel's include/uapi/linux/eventpoll.h for each architecture (there
// `EPOLL_PACKED` is `__attribute__((packed))` on x86_64 and empty
// elsewhere). The `repr(packed)` above cannot be derived from the binding,
// so these assertions are what keep the two in step.
// ---------------------------------------------------------------------------

type KernelEvent = linux_raw_sys::general::epoll_event;

/// `(size, align, offset of events, offset of data)` of the kernel's struct.
const EXPECTED_LAYOUT: (usize, usize, usize, usize) = (
    size_of::<KernelEvent>(),
    align_of::<KernelEvent>(),
    offset_of!(KernelEvent, events),
    offset_of!(KernelEvent, data),
);

const _: () = assert!(
    size_of::<RawEvent>() == EXPECTED_LAYOUT.0,
    "RawEvent: size differs from the kernel's struct epoll_event on this architecture"
);
const _: () = assert!(
    align_of::<RawEvent>() == EXPECTED_LAYOUT.1,
    "RawEvent: alignment differs from the kernel's struct epoll_event on this architecture"
);
const _: () = assert!(
    offset_of!(RawEvent, events) == EXPECTED_LAYOUT.2,
    "RawEvent: offset of `events` differs from the kernel's struct epoll_event"
);
const _: () = assert!(
    offset_of!(RawEvent, data) == EXPECTED_LAYOUT.3,
    "RawEvent: offset of `data` differs from the kernel's struct epoll_event"
);
// The same struct as rustix's, which the registration calls pass.
static_assertions::assert_eq_size!(RawEvent, rustix::event::epoll::Event);
static_assertions::assert_eq_align!(RawEvent, rustix::event::epoll::Event);

/// The layout this build checked `RawEvent` against:
/// `(size, align, offset of events, offset of data)`.
///
/// Exposed so that tests (and the curious) can compare it at run time with
/// what the target really has.
///
/// ```
/// let (size, align, events, data) = rawepoll::event::RAW_EVENT_LAYOUT;
/// assert_eq!(size, core::mem::size_of::<rawepoll::RawEvent>());
/// assert_eq!(align, core::mem::align_of::<rawepoll::RawEvent>());
/// assert_eq!((events, data), (0, size - 8));
/// ```
pub const RAW_EVENT_LAYOUT: (usize, usize, usize, usize) = EXPECTED_LAYOUT;

/// One readiness report, decoded from a [`RawEvent`]: which [`Token`] it is
/// for and which `EPOLL*` bits the kernel set.
///
/// The error and hang-up bits are reported whether or not they were asked for.
///
/// # Example
///
/// ```
/// use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};
/// # fn main() -> rawepoll::Result<()> {
/// let epoll = Epoll::new()?;
/// let efd = EventFd::new()?;
/// epoll.add(&efd, Token(7), Interest::READABLE)?;
/// efd.notify()?;
///
/// let mut events = Events::<4>::new();
/// epoll.wait(&mut events, Timeout::ZERO)?;
/// let event = events.iter().next().unwrap();
/// assert_eq!(event.token(), Token(7));
/// assert!(event.is_readable() && !event.is_writable() && !event.is_error());
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Event {
    flags: u32,
    token: Token,
}

const IN: u32 = rustix::event::epoll::EventFlags::IN.bits();
const OUT: u32 = rustix::event::epoll::EventFlags::OUT.bits();
const PRI: u32 = rustix::event::epoll::EventFlags::PRI.bits();
const ERR: u32 = rustix::event::epoll::EventFlags::ERR.bits();
const HUP: u32 = rustix::event::epoll::EventFlags::HUP.bits();
const RDHUP: u32 = rustix::event::epoll::EventFlags::RDHUP.bits();

impl Event {
    /// The token given when the file descriptor was registered.
    #[inline]
    #[must_use]
    pub const fn token(&self) -> Token {
        self.token
    }

    /// `EPOLLIN`: there is data to read (or, on a listening socket, a
    /// connection to accept).
    #[inline]
    #[must_use]
    pub const fn is_readable(&self) -> bool {
        self.flags & IN != 0
    }

    /// `EPOLLOUT`: a write would not block.
    #[inline]
    #[must_use]
    pub const fn is_writable(&self) -> bool {
        self.flags & OUT != 0
    }

    /// `EPOLLPRI`: an exceptional condition, such as out-of-band TCP data or
    /// a changed sysfs/cgroup file.
    #[inline]
    #[must_use]
    pub const fn is_priority(&self) -> bool {
        self.flags & PRI != 0
    }

    /// `EPOLLERR`: an error on the file descriptor (for a pipe's write end:
    /// the read end was closed). Always reported.
    #[inline]
    #[must_use]
    pub const fn is_error(&self) -> bool {
        self.flags & ERR != 0
    }

    /// `EPOLLHUP`: hang-up, e.g. every write end of a pipe is closed or a
    /// socket is shut down both ways. Always reported.
    ///
    /// **Level-triggered, a hang-up is reported by every `wait` until the fd
    /// is deleted**: it is a state, not an event, and nothing can be read
    /// to clear it. The loop that ignores it spins at 100% CPU. The fix is
    /// one line when handling it: `epoll.delete(&fd)?` (then close the fd).
    #[inline]
    #[must_use]
    pub const fn is_hangup(&self) -> bool {
        self.flags & HUP != 0
    }

    /// `EPOLLRDHUP`: the stream socket's peer closed its writing half.
    /// Reported only when registered with [`Interest::READ_CLOSED`](crate::Interest::READ_CLOSED).
    ///
    /// **Level-triggered, it is reported by every `wait` until the fd is
    /// deleted** (so is `READABLE` at end of file: a read returning 0 does
    /// not clear it). Once the remaining data is read, `epoll.delete(&fd)?`,
    /// or `modify` it without `READABLE | READ_CLOSED` if you still write to
    /// it; otherwise the loop spins at 100% CPU.
    #[inline]
    #[must_use]
    pub const fn is_read_closed(&self) -> bool {
        self.flags & RDHUP != 0
    }

    /// All the `EPOLL*` bits the kernel set, unchanged.
    #[inline]
    #[must_use]
    pub const fn raw_flags(&self) -> u32 {
        self.flags
    }
}

impl From<RawEvent> for Event {
    #[inline]
    fn from(raw: RawEvent) -> Self {
        raw.event()
    }
}

/// The readiness bits an [`Event`] can carry, named for its `Debug`.
struct Ready(u32);

bitflags::bitflags! {
    impl Ready: u32 {
        const IN = IN;
        const OUT = OUT;
        const PRI = PRI;
        const ERR = ERR;
        const HUP = HUP;
        const RDHUP = RDHUP;
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            f.write_str("empty")
        } else {
            bitflags::parser::to_writer(self, f)
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("token", &self.token)
            .field("flags", &Ready::from_bits_retain(self.flags))
            .finish()
    }
}

/// A fixed-capacity buffer of up to `N` events, filled by
/// [`Epoll::wait`](crate::Epoll::wait).
///
/// It is a [`heapless::Vec`] of [`RawEvent`] inside: no allocation, and
/// `const fn new` lets it live in a `static` or on the stack of a `no_std`
/// program. Each `wait` empties it first and then lets the kernel write up to
/// `N` records into it. `N == 0` is a compile error (the kernel would answer
/// `EINVAL`).
///
/// When more than `N` file descriptors are ready, `epoll_wait` returns `N` of
/// them and hands out the rest, round-robin, on the next calls: a small
/// buffer is correct, just more calls.
///
/// # Example
///
/// ```
/// use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};
/// # fn main() -> rawepoll::Result<()> {
/// let epoll = Epoll::new()?;
/// let (a, b) = (EventFd::new()?, EventFd::new()?);
/// epoll.add(&a, Token(1), Interest::READABLE)?;
/// epoll.add(&b, Token(2), Interest::READABLE)?;
/// a.notify()?;
/// b.notify()?;
///
/// let mut events = Events::<16>::new();
/// assert_eq!(epoll.wait(&mut events, Timeout::ZERO)?, 2);
/// let mut tokens: Vec<u64> = events.iter().map(|e| e.token().0).collect();
/// tokens.sort();
/// assert_eq!(tokens, [1, 2]);
/// assert_eq!(events.capacity(), 16);
/// # Ok(()) }
/// ```
pub struct Events<const N: usize> {
    pub(crate) buf: heapless::Vec<RawEvent, N>,
}

impl<const N: usize> Events<N> {
    /// An empty buffer with room for `N` events. `const`, so it can
    /// initialize a `const` or a field of a value built at compile time.
    ///
    /// No `static mut` is needed (edition 2024 denies references to one):
    /// keep the buffer a local of the function that loops, which is where
    /// `wait` needs its `&mut`, even in a `no_main` program. It costs
    /// `N * size_of::<RawEvent>()` bytes of stack (768 for 64 events on
    /// `x86_64`); for a large `N` on a small stack, put it in the struct that
    /// holds the loop's state.
    ///
    /// ```
    /// use rawepoll::{Epoll, Events, Timeout};
    /// fn event_loop(epoll: &Epoll) -> rawepoll::Result<()> {
    ///     let mut events = Events::<64>::new(); // lives as long as the loop
    ///     loop {
    ///         epoll.wait(&mut events, Timeout::from_millis(1))?;
    ///         for event in &events {
    ///             let _ = event.token(); // handle it
    ///         }
    ///         # return Ok(());
    ///     }
    /// }
    /// event_loop(&Epoll::new()?)?;
    /// # Ok::<(), rawepoll::Errno>(())
    /// ```
    ///
    /// `Events::<0>::new()` does not compile:
    ///
    /// ```compile_fail
    /// let events = rawepoll::Events::<0>::new();
    /// ```
    #[inline]
    #[must_use]
    pub const fn new() -> Self {
        const {
            assert!(
                N > 0,
                "Events<0> can hold no event: epoll_wait answers EINVAL for maxevents 0"
            );
        };
        Self {
            buf: heapless::Vec::new(),
        }
    }

    /// How many events the last `wait` stored.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether the last `wait` stored no event (it timed out).
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// `N`: the most events one `wait` can store.
    #[inline]
    #[must_use]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Forgets the stored events.
    #[inline]
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The stored events, decoded, in the order the kernel reported them.
    #[inline]
    #[must_use]
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.buf.iter(),
        }
    }

    /// The i-th stored event, if there is one.
    #[inline]
    #[must_use]
    pub fn get(&self, index: usize) -> Option<Event> {
        self.buf.get(index).map(RawEvent::event)
    }

    /// The stored events exactly as the kernel wrote them.
    #[inline]
    #[must_use]
    pub fn as_raw(&self) -> &[RawEvent] {
        &self.buf
    }
}

impl<const N: usize> Default for Events<N> {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for Events<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("capacity", &N)
            .field("events", &DebugList(self))
            .finish()
    }
}

struct DebugList<'a, const N: usize>(&'a Events<N>);

impl<const N: usize> fmt::Debug for DebugList<'_, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl<'a, const N: usize> IntoIterator for &'a Events<N> {
    type Item = Event;
    type IntoIter = Iter<'a>;

    #[inline]
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over the events in an [`Events`] buffer, from [`Events::iter`].
///
/// ```
/// let events = rawepoll::Events::<8>::new();
/// let mut it: rawepoll::event::Iter<'_> = events.iter();
/// assert!(it.next().is_none());
/// ```
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    inner: core::slice::Iter<'a, RawEvent>,
}

impl Iterator for Iter<'_> {
    type Item = Event;

    #[inline]
    fn next(&mut self) -> Option<Event> {
        self.inner.next().map(RawEvent::event)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Event> {
        self.inner.next_back().map(RawEvent::event)
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl core::iter::FusedIterator for Iter<'_> {}
