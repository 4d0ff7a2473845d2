//! Messages on stderr without an allocator: strings and decimal numbers
//! written straight to fd 2.

use core::sync::atomic::{AtomicBool, Ordering};

use rawepoll::{BorrowedFd, Errno};

fn fd(n: i32) -> BorrowedFd<'static> {
    // SAFETY: fds 1 and 2 are only lent to write(2); if one is closed, the
    // kernel answers EBADF and the text is dropped, which is all we can do.
    unsafe { BorrowedFd::borrow_raw(n) }
}

/// Writes all of `bytes` to stderr, best effort.
pub fn write(bytes: &[u8]) {
    write_to(2, bytes);
}

/// Writes all of `bytes` to stdout, best effort.
pub fn write_stdout(bytes: &[u8]) {
    write_to(1, bytes);
}

/// Set once a write answered `EPIPE`: nobody reads any more, and each
/// further write would only raise another SIGPIPE.
static BROKEN: AtomicBool = AtomicBool::new(false);

fn write_to(n: i32, bytes: &[u8]) {
    if BROKEN.load(Ordering::Relaxed) {
        return;
    }
    let mut rest = bytes;
    while !rest.is_empty() {
        match rustix::io::write(fd(n), rest) {
            Ok(0) => return,
            Err(Errno::PIPE) => {
                BROKEN.store(true, Ordering::Relaxed);
                return;
            }
            Err(_) => return,
            Ok(n) => rest = &rest[n..],
        }
    }
}

/// A line on stderr made of parts.
pub fn line(parts: &[Part<'_>]) {
    let mut buf = [0u8; 512];
    let mut len = 0;
    for part in parts {
        let mut num = [0u8; 12];
        let bytes: &[u8] = match part {
            Part::Str(s) => s.as_bytes(),
            Part::Bytes(b) => b,
            Part::Int(n) => format_int(*n, &mut num),
        };
        let take = bytes.len().min(buf.len() - len - 1);
        buf[len..len + take].copy_from_slice(&bytes[..take]);
        len += take;
    }
    buf[len] = b'\n';
    write(&buf[..=len]);
}

/// A piece of a message.
pub enum Part<'a> {
    Str(&'a str),
    Bytes(&'a [u8]),
    Int(i64),
}

fn format_int(n: i64, buf: &mut [u8; 12]) -> &[u8] {
    let mut i = buf.len();
    let negative = n < 0;
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || i == 1 {
            break;
        }
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}
