//! What to watch for ([`Interest`]), how to create the epoll
//! ([`CreateFlags`]), and the user data that comes back ([`Token`]).

use core::fmt;

use rustix::event::epoll::EventFlags;

/// The 64-bit user data of `struct epoll_event`: given to
/// [`Epoll::add`](crate::Epoll::add), handed back unchanged with every event
/// for that registration. Every `u64` value round-trips.
///
/// # Example
///
/// ```
/// use rawepoll::Token;
///
/// let token = Token(u64::MAX);
/// assert_eq!(token.0, u64::MAX);
/// assert_eq!(Token::from(3), Token(3));
/// assert_eq!(u64::from(Token(3)), 3);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub u64);

impl Token {
    /// The bit every [`Registry`](crate::Registry) token has set, and no
    /// token below `1 << 63` has: pick your own tokens below it and they
    /// never collide with a registry's in the same epoll.
    pub const REGISTRY_BIT: u64 = 1 << 63;

    /// Whether this token is in the range registries hand out (its top bit
    /// is set). Says nothing about whether it is live.
    ///
    /// ```
    /// use rawepoll::Token;
    /// assert!(!Token(0).is_registry());
    /// assert!(Token(Token::REGISTRY_BIT | 5).is_registry());
    /// ```
    #[inline]
    #[must_use]
    pub const fn is_registry(self) -> bool {
        self.0 & Self::REGISTRY_BIT != 0
    }

    /// The token of slot `index` in its `generation`: the layout every
    /// registry of rawepoll uses (and `rawepoll-rt`'s sources), the
    /// generation in the high 32 bits and the index in the low 32.
    /// [`index`](Token::index) and [`generation`](Token::generation) take
    /// it apart. A registry's generations have their top bit set, so its
    /// tokens are [`is_registry`](Token::is_registry).
    ///
    /// ```
    /// use rawepoll::Token;
    /// let token = Token::from_parts(7, 0x8000_0003);
    /// assert_eq!((token.index(), token.generation()), (7, 0x8000_0003));
    /// assert!(token.is_registry());
    /// assert_eq!(Token(u64::MAX).index(), u32::MAX);
    /// ```
    #[inline]
    #[must_use]
    pub const fn from_parts(index: u32, generation: u32) -> Token {
        Token((generation as u64) << 32 | index as u64)
    }

    /// The slot index of a token made by [`from_parts`](Token::from_parts):
    /// its low 32 bits.
    #[inline]
    #[must_use]
    pub const fn index(self) -> u32 {
        self.0 as u32
    }

    /// The generation of a token made by [`from_parts`](Token::from_parts):
    /// its high 32 bits.
    #[inline]
    #[must_use]
    pub const fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

impl From<u64> for Token {
    #[inline]
    fn from(value: u64) -> Self {
        Token(value)
    }
}

impl From<Token> for u64 {
    #[inline]
    fn from(token: Token) -> Self {
        token.0
    }
}

bitflags::bitflags! {
    /// The events to watch a file descriptor for, and how: the `events` mask of
    /// `epoll_ctl(2)`.
    ///
    /// Readiness bits: [`READABLE`](Self::READABLE), [`WRITABLE`](Self::WRITABLE),
    /// [`PRIORITY`](Self::PRIORITY), [`READ_CLOSED`](Self::READ_CLOSED).
    /// Mode bits: [`EDGE`](Self::EDGE), [`ONESHOT`](Self::ONESHOT),
    /// [`EXCLUSIVE`](Self::EXCLUSIVE), [`WAKEUP`](Self::WAKEUP). Errors
    /// (`EPOLLERR`) and hang-ups (`EPOLLHUP`) are always reported and need no bit.
    ///
    /// The default, with no mode bit, is level-triggered: an event is reported by
    /// every `wait` for as long as the condition holds.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::Interest;
    ///
    /// const STREAM: Interest = Interest::READABLE
    ///     .union(Interest::READ_CLOSED)
    ///     .union(Interest::EDGE);
    /// let mut interest = STREAM | Interest::WRITABLE;
    /// assert!(interest.contains(Interest::READABLE | Interest::EDGE));
    /// interest.remove(Interest::WRITABLE);
    /// assert_eq!(interest, STREAM);
    /// assert_eq!(format!("{:?}", Interest::READABLE | Interest::EDGE), "Interest(READABLE | EDGE)");
    /// ```
    ///
    /// # References
    ///  - [epoll_ctl(2)](https://man7.org/linux/man-pages/man2/epoll_ctl.2.html)
    ///  - [epoll(7)](https://man7.org/linux/man-pages/man7/epoll.7.html)
    ///
    /// A [bitflags] type: `|`, `-`, `&`, `contains`, `insert`, `remove`,
    /// `union` (`const`), `from_bits_retain` (any raw mask, passed through
    /// unchecked: the kernel answers unknown bits with `EINVAL` or ignores
    /// them)…
    ///
    /// [bitflags]: https://docs.rs/bitflags
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Interest: u32 {
        /// `EPOLLIN`: data to read, a connection to accept, a peer that closed.
        const READABLE = EventFlags::IN.bits();
        /// `EPOLLOUT`: a write would not block.
        const WRITABLE = EventFlags::OUT.bits();
        /// `EPOLLPRI`: exceptional conditions (out-of-band data, sysfs/cgroup
        /// file changes, a pty packet-mode state change).
        const PRIORITY = EventFlags::PRI.bits();
        /// `EPOLLRDHUP`: a stream socket's peer shut down its writing half.
        const READ_CLOSED = EventFlags::RDHUP.bits();
        /// `EPOLLET`: edge-triggered; report a condition once when it arises, not
        /// on every wait while it holds. Read or write until `EAGAIN` before
        /// waiting again.
        ///
        /// **The fd must be non-blocking.** On a blocking fd the read that
        /// should answer `EAGAIN` blocks instead, and the whole loop hangs.
        /// std's `TcpStream`, `ChildStdout`, `Stdin` and pipes are blocking:
        /// call [`set_nonblocking(&fd, true)`](crate::set_nonblocking) (or std's
        /// `set_nonblocking(true)`) before registering them. rawepoll's own
        /// sources are non-blocking already.
        const EDGE = EventFlags::ET.bits();
        /// `EPOLLONESHOT`: after one event the registration is disabled until it
        /// is re-armed with [`Epoll::modify`](crate::Epoll::modify).
        const ONESHOT = EventFlags::ONESHOT.bits();
        /// `EPOLLEXCLUSIVE` (Linux 4.5): when several epoll instances watch the
        /// same fd, wake one or more of them rather than all. Only with
        /// [`Epoll::add`](crate::Epoll::add); `modify` with it, or combining it
        /// with `ONESHOT`, answers `EINVAL`.
        const EXCLUSIVE = EventFlags::EXCLUSIVE.bits();
        /// `EPOLLWAKEUP`: keep the system from suspending while the event is
        /// pending. Needs `CAP_BLOCK_SUSPEND`; without it the kernel silently
        /// drops the bit.
        const WAKEUP = EventFlags::WAKEUP.bits();
    }
}

impl Interest {
    /// No event: the fd stays registered and still reports errors and
    /// hang-ups.
    pub const NONE: Interest = Interest::empty();
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_flags(f, "Interest", self)
    }
}

bitflags::bitflags! {
    /// Flags for [`Epoll::with_flags`](crate::Epoll::with_flags): the argument
    /// of `epoll_create1(2)`.
    ///
    /// # Example
    ///
    /// ```
    /// use rawepoll::{CreateFlags, Epoll};
    /// # fn main() -> rawepoll::Result<()> {
    /// // Like Epoll::new(): closed across execve.
    /// let epoll = Epoll::with_flags(CreateFlags::CLOEXEC)?;
    /// // Inherited by an exec'd program.
    /// let inherited = Epoll::with_flags(CreateFlags::empty())?;
    /// assert!(CreateFlags::empty().is_empty());
    /// # drop((epoll, inherited)); Ok(()) }
    /// ```
    ///
    /// # References
    ///  - [epoll_create1(2)](https://man7.org/linux/man-pages/man2/epoll_create1.2.html)
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct CreateFlags: u32 {
        /// `EPOLL_CLOEXEC`: close the epoll fd on `execve(2)`.
        const CLOEXEC = rustix::event::epoll::CreateFlags::CLOEXEC.bits();
    }
}

impl fmt::Debug for CreateFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_flags(f, "CreateFlags", self)
    }
}

/// `Name(A | B | 0x..)` for the named flags and any unnamed rest, or
/// `Name(empty)`.
fn write_flags<F>(f: &mut fmt::Formatter<'_>, name: &str, flags: &F) -> fmt::Result
where
    F: bitflags::Flags<Bits = u32>,
{
    f.write_str(name)?;
    f.write_str("(")?;
    if flags.is_empty() {
        f.write_str("empty")?;
    } else {
        bitflags::parser::to_writer(flags, &mut *f)?;
    }
    f.write_str(")")
}
