//! File descriptors: the ones rawepoll only borrows ([`AsBorrowedFd`],
//! [`set_nonblocking`]) and what every type owning one implements the same
//! way (`owned_fd_traits!`).

use rustix::fd::AsFd;
use rustix::io;

use crate::Result;

/// A *borrowed* file descriptor: what [`Epoll::add`](crate::Epoll::add),
/// [`modify`](crate::Epoll::modify), [`delete`](crate::Epoll::delete) and
/// [`set_nonblocking`] take, because they use the fd for one system call and
/// do not keep it.
///
/// Implemented for every `AsFd + Copy` type: `&T` for any `T: AsFd` (`&fd`,
/// `&OwnedFd`, `&TcpStream`, `&EventFd`…) and [`BorrowedFd`](crate::BorrowedFd)
/// (`fd.as_fd()`, or `BorrowedFd::borrow_raw(n)` for a raw number). An
/// *owned* value is refused at compile time: moved into the call, it would
/// be closed at the end of the statement and its registration would vanish
/// with it, silently. (The compiler's "consider borrowing here" hint,
/// `&EventFd::new()?`, borrows a temporary that is dropped at the same
/// point: keep the owner in a variable, or in a
/// [`Registry`](crate::Registry), which owns what it registers.)
///
/// # Example
///
/// ```
/// use rawepoll::{AsFd, Epoll, EventFd, Interest, Token};
/// # fn main() -> rawepoll::Result<()> {
/// let epoll = Epoll::new()?;
/// let a = EventFd::new()?;
/// let b = EventFd::new()?;
/// epoll.add(&a, Token(1), Interest::READABLE)?; // a borrow
/// epoll.add(b.as_fd(), Token(2), Interest::READABLE)?; // a BorrowedFd
/// # Ok(()) }
/// ```
///
/// An owned fd does not compile:
///
/// ```compile_fail,E0277
/// use rawepoll::{Epoll, EventFd, Interest, Token};
/// # fn main() -> rawepoll::Result<()> {
/// let epoll = Epoll::new()?;
/// // error[E0277]: `EventFd` is an owned file descriptor: rawepoll would
/// // close it at the end of this statement
/// epoll.add(EventFd::new()?, Token(1), Interest::READABLE)?;
/// # Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is an owned file descriptor: rawepoll would close it at the end of this statement",
    label = "moved in here, and closed when the call returns",
    note = "epoll does not keep the fd open: pass a borrow (`&fd` or `fd.as_fd()`) of an owner that outlives the registration"
)]
pub trait AsBorrowedFd: AsFd + Copy {}

impl<T: AsFd + Copy> AsBorrowedFd for T {}

/// `ioctl(fd, FIONBIO, &nonblocking)`—Sets or clears `O_NONBLOCK` on the
/// open file description of `fd`.
///
/// Edge-triggered registration ([`Interest::EDGE`](crate::Interest::EDGE))
/// needs it: the rule there is "read (or write) until `EAGAIN`", and on a
/// *blocking* fd the last read does not answer `EAGAIN`, it blocks the whole
/// loop. std's `TcpStream`, `ChildStdout`, `Stdin`, pipes and `File`s are
/// blocking; rawepoll's own sources are created non-blocking.
///
/// The flag belongs to the open file description: every `dup` of the fd,
/// and a process sharing it (a terminal's stdin, say), sees the change too.
///
/// # Errors
///
/// * `EBADF`: `fd` is not open.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "std")] {
/// use std::net::{TcpListener, TcpStream};
/// let listener = TcpListener::bind("127.0.0.1:0").unwrap();
/// let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
/// rawepoll::set_nonblocking(&stream, true).unwrap();
/// // Equivalent for std's types: stream.set_nonblocking(true).
/// # }
/// ```
///
/// # References
///  - [ioctl(2)](https://man7.org/linux/man-pages/man2/ioctl.2.html) (`FIONBIO`)
///  - [fcntl(2)](https://man7.org/linux/man-pages/man2/fcntl.2.html) (`O_NONBLOCK`)
#[inline]
#[doc(alias = "FIONBIO")]
#[doc(alias = "O_NONBLOCK")]
pub fn set_nonblocking(fd: impl AsBorrowedFd, nonblocking: bool) -> Result<()> {
    io::ioctl_fionbio(fd, nonblocking)
}

/// Implements `AsFd`, `AsRawFd`, `From<$t> for OwnedFd`, `From<OwnedFd>`
/// (documented with `$from_doc`) and `Debug` for a struct whose only field
/// is its `fd: OwnedFd`.
macro_rules! owned_fd_traits {
    ($t:ident, $from_doc:literal) => {
        impl From<rustix::fd::OwnedFd> for $t {
            #[doc = $from_doc]
            #[inline]
            fn from(fd: rustix::fd::OwnedFd) -> Self {
                $t { fd }
            }
        }

        impl rustix::fd::AsFd for $t {
            #[inline]
            fn as_fd(&self) -> rustix::fd::BorrowedFd<'_> {
                rustix::fd::AsFd::as_fd(&self.fd)
            }
        }

        impl rustix::fd::AsRawFd for $t {
            #[inline]
            fn as_raw_fd(&self) -> rustix::fd::RawFd {
                rustix::fd::AsRawFd::as_raw_fd(&self.fd)
            }
        }

        impl From<$t> for rustix::fd::OwnedFd {
            #[inline]
            fn from(owner: $t) -> Self {
                owner.fd
            }
        }

        impl core::fmt::Debug for $t {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($t))
                    .field("fd", &rustix::fd::AsRawFd::as_raw_fd(&self.fd))
                    .finish()
            }
        }
    };
}
