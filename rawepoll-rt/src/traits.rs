//! The `no_std` ecosystem's async I/O traits for [`Async`] sources:
//! [`embedded_io_async::Read`] and [`Write`](embedded_io_async::Write), so
//! a protocol written against them (a codec, an HTTP or MQTT client for
//! microcontrollers) runs on a rawepoll socket or pipe as it is.

use embedded_io_async::{ErrorKind, ErrorType, Read, Write};
use rawepoll::{AsFd, Errno};

use crate::Async;

/// The error of the I/O traits: the kernel's errno, unchanged, with the
/// [`ErrorKind`] that embedded-io code matches on (`ECONNRESET` is
/// `ConnectionReset`, `EPIPE` `BrokenPipe`…; an errno with no kind of its
/// own is `Other`). A newtype because neither `Errno` nor the trait is this
/// crate's; it converts both ways.
///
/// ```
/// use embedded_io_async::{Error, ErrorKind};
/// use rawepoll::Errno;
/// use rawepoll_rt::IoError;
/// assert_eq!(IoError(Errno::CONNRESET).kind(), ErrorKind::ConnectionReset);
/// assert_eq!(Errno::from(IoError(Errno::PIPE)), Errno::PIPE);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IoError(pub Errno);

impl embedded_io_async::Error for IoError {
    fn kind(&self) -> ErrorKind {
        match self.0 {
            Errno::NOENT => ErrorKind::NotFound,
            Errno::ACCESS | Errno::PERM => ErrorKind::PermissionDenied,
            Errno::CONNREFUSED => ErrorKind::ConnectionRefused,
            Errno::CONNRESET => ErrorKind::ConnectionReset,
            Errno::CONNABORTED => ErrorKind::ConnectionAborted,
            Errno::NOTCONN => ErrorKind::NotConnected,
            Errno::ADDRINUSE => ErrorKind::AddrInUse,
            Errno::ADDRNOTAVAIL => ErrorKind::AddrNotAvailable,
            Errno::PIPE => ErrorKind::BrokenPipe,
            Errno::EXIST => ErrorKind::AlreadyExists,
            Errno::INVAL => ErrorKind::InvalidInput,
            Errno::TIMEDOUT => ErrorKind::TimedOut,
            Errno::INTR => ErrorKind::Interrupted,
            Errno::NOSYS | Errno::OPNOTSUPP => ErrorKind::Unsupported,
            Errno::NOMEM => ErrorKind::OutOfMemory,
            _ => ErrorKind::Other,
        }
    }
}

impl core::fmt::Display for IoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.0, f)
    }
}

impl From<Errno> for IoError {
    fn from(errno: Errno) -> Self {
        IoError(errno)
    }
}

impl From<IoError> for Errno {
    fn from(error: IoError) -> Self {
        error.0
    }
}

impl core::error::Error for IoError {}

#[cfg(feature = "std")]
impl From<IoError> for std::io::Error {
    fn from(error: IoError) -> Self {
        std::io::Error::from_raw_os_error(error.0.raw_os_error())
    }
}

impl<S: AsFd, const N: usize> ErrorType for Async<S, N> {
    type Error = IoError;
}

/// [`Async::read`]: waits until readable, then `read(2)`.
impl<S: AsFd, const N: usize> Read for Async<S, N> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, IoError> {
        Async::read(self, buf).await.map_err(IoError)
    }
}

/// [`Async::write`]: waits until writable, then `write(2)`. `flush` has
/// nothing to do: every byte written went to the kernel.
impl<S: AsFd, const N: usize> Write for Async<S, N> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, IoError> {
        Async::write(self, buf).await.map_err(IoError)
    }

    async fn flush(&mut self) -> Result<(), IoError> {
        Ok(())
    }
}
