//! Event sources: kernel objects that turn wake-ups, timers, signals and
//! process exits into readable file descriptors, each registered like any fd.

pub(crate) mod eventfd;
pub(crate) mod pidfd;
pub(crate) mod signalfd;
pub(crate) mod timerfd;

use rustix::fd::AsFd;
use rustix::io::{self, Errno};

use crate::Result;

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
