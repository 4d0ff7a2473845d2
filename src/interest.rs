//! What to watch for ([`Interest`]), how to create the epoll
//! ([`CreateFlags`]), and the user data that comes back ([`Token`]).

use core::fmt;
use core::ops::{BitOr, BitOrAssign, Sub, SubAssign};

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
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Interest(u32);

impl Interest {
    /// No event: the fd stays registered and still reports errors and
    /// hang-ups.
    pub const NONE: Interest = Interest(0);
    /// `EPOLLIN`: data to read, a connection to accept, a peer that closed.
    pub const READABLE: Interest = Interest(EventFlags::IN.bits());
    /// `EPOLLOUT`: a write would not block.
    pub const WRITABLE: Interest = Interest(EventFlags::OUT.bits());
    /// `EPOLLPRI`: exceptional conditions (out-of-band data, sysfs/cgroup
    /// file changes, a pty packet-mode state change).
    pub const PRIORITY: Interest = Interest(EventFlags::PRI.bits());
    /// `EPOLLRDHUP`: a stream socket's peer shut down its writing half.
    pub const READ_CLOSED: Interest = Interest(EventFlags::RDHUP.bits());
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
    pub const EDGE: Interest = Interest(EventFlags::ET.bits());
    /// `EPOLLONESHOT`: after one event the registration is disabled until it
    /// is re-armed with [`Epoll::modify`](crate::Epoll::modify).
    pub const ONESHOT: Interest = Interest(EventFlags::ONESHOT.bits());
    /// `EPOLLEXCLUSIVE` (Linux 4.5): when several epoll instances watch the
    /// same fd, wake one or more of them rather than all. Only with
    /// [`Epoll::add`](crate::Epoll::add); `modify` with it, or combining it
    /// with `ONESHOT`, answers `EINVAL`.
    pub const EXCLUSIVE: Interest = Interest(EventFlags::EXCLUSIVE.bits());
    /// `EPOLLWAKEUP`: keep the system from suspending while the event is
    /// pending. Needs `CAP_BLOCK_SUSPEND`; without it the kernel silently
    /// drops the bit.
    pub const WAKEUP: Interest = Interest(EventFlags::WAKEUP.bits());

    const NAMES: [(u32, &'static str); 8] = [
        (Self::READABLE.0, "READABLE"),
        (Self::WRITABLE.0, "WRITABLE"),
        (Self::PRIORITY.0, "PRIORITY"),
        (Self::READ_CLOSED.0, "READ_CLOSED"),
        (Self::EDGE.0, "EDGE"),
        (Self::ONESHOT.0, "ONESHOT"),
        (Self::EXCLUSIVE.0, "EXCLUSIVE"),
        (Self::WAKEUP.0, "WAKEUP"),
    ];

    /// The `EPOLL*` bit mask passed to the kernel.
    #[inline]
    #[must_use]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Any `EPOLL*` mask, unchecked: bits the kernel does not know are passed
    /// through and answered by it (`EINVAL` or ignored).
    #[inline]
    #[must_use]
    pub const fn from_bits_retain(bits: u32) -> Self {
        Interest(bits)
    }

    /// Whether no bit is set.
    #[inline]
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `other` is set in `self`.
    #[inline]
    #[must_use]
    pub const fn contains(self, other: Interest) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set in `self`.
    #[inline]
    #[must_use]
    pub const fn intersects(self, other: Interest) -> bool {
        self.0 & other.0 != 0
    }

    /// The bits of both: `self | other`, usable in `const` items.
    #[inline]
    #[must_use]
    pub const fn union(self, other: Interest) -> Self {
        Interest(self.0 | other.0)
    }

    /// The bits of `self` that are not in `other`: `self - other`.
    #[inline]
    #[must_use]
    pub const fn difference(self, other: Interest) -> Self {
        Interest(self.0 & !other.0)
    }

    /// Sets the bits of `other`.
    #[inline]
    pub fn insert(&mut self, other: Interest) {
        self.0 |= other.0;
    }

    /// Clears the bits of `other`.
    #[inline]
    pub fn remove(&mut self, other: Interest) {
        self.0 &= !other.0;
    }
}

impl BitOr for Interest {
    type Output = Interest;
    #[inline]
    fn bitor(self, rhs: Interest) -> Interest {
        self.union(rhs)
    }
}

impl BitOrAssign for Interest {
    #[inline]
    fn bitor_assign(&mut self, rhs: Interest) {
        self.insert(rhs);
    }
}

impl Sub for Interest {
    type Output = Interest;
    #[inline]
    fn sub(self, rhs: Interest) -> Interest {
        self.difference(rhs)
    }
}

impl SubAssign for Interest {
    #[inline]
    fn sub_assign(&mut self, rhs: Interest) {
        self.remove(rhs);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Interest(")?;
        write_flag_names(f, self.0, &Self::NAMES)?;
        f.write_str(")")
    }
}

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
pub struct CreateFlags(u32);

impl CreateFlags {
    /// `EPOLL_CLOEXEC`: close the epoll fd on `execve(2)`.
    pub const CLOEXEC: CreateFlags = CreateFlags(rustix::event::epoll::CreateFlags::CLOEXEC.bits());

    /// No flag: `epoll_create1(0)`.
    #[inline]
    #[must_use]
    pub const fn empty() -> Self {
        CreateFlags(0)
    }

    /// Whether no flag is set.
    #[inline]
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The raw `EPOLL_*` bits.
    #[inline]
    #[must_use]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every flag of `other` is set in `self`.
    #[inline]
    #[must_use]
    pub const fn contains(self, other: CreateFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flags of both, usable in `const` items.
    #[inline]
    #[must_use]
    pub const fn union(self, other: CreateFlags) -> Self {
        CreateFlags(self.0 | other.0)
    }
}

impl BitOr for CreateFlags {
    type Output = CreateFlags;
    #[inline]
    fn bitor(self, rhs: CreateFlags) -> CreateFlags {
        self.union(rhs)
    }
}

impl BitOrAssign for CreateFlags {
    #[inline]
    fn bitor_assign(&mut self, rhs: CreateFlags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for CreateFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CreateFlags(")?;
        write_flag_names(f, self.0, &[(Self::CLOEXEC.0, "CLOEXEC")])?;
        f.write_str(")")
    }
}

/// Writes `A | B | 0x..` for the named bits of `bits` and any unnamed rest,
/// or `empty`.
pub(crate) fn write_flag_names(
    f: &mut fmt::Formatter<'_>,
    bits: u32,
    names: &[(u32, &str)],
) -> fmt::Result {
    let mut rest = bits;
    let mut first = true;
    for &(bit, name) in names {
        if bits & bit != 0 {
            if !first {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
            rest &= !bit;
            first = false;
        }
    }
    if rest != 0 {
        if !first {
            f.write_str(" | ")?;
        }
        write!(f, "{rest:#x}")?;
        first = false;
    }
    if first {
        f.write_str("empty")?;
    }
    Ok(())
}
