//! What every type owning one file descriptor implements the same way
//! (`AsFd`, `AsRawFd`, `From<T> for OwnedFd`, `Debug`), and the 8-byte
//! counter read that eventfd and timerfd share.

use rustix::fd::AsFd;
use rustix::io::{self, Errno};

use crate::Result;

/// Implements `AsFd`, `AsRawFd`, `From<$t> for OwnedFd` and `Debug` for a
/// struct whose `fd` field is its `OwnedFd`.
macro_rules! owned_fd_traits {
    ($t:ident) => {
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

/// `read(fd, &mut u64, 8)` on a non-blocking eventfd or timerfd: the
/// counter, or 0 when there is nothing to read (`EAGAIN`).
#[inline]
pub(crate) fn read_counter(fd: impl AsFd) -> Result<u64> {
    let mut buf = [0u8; 8];
    match io::read(fd, &mut buf) {
        Ok(_) => Ok(u64::from_ne_bytes(buf)),
        Err(Errno::AGAIN) => Ok(0),
        Err(e) => Err(e),
    }
}
