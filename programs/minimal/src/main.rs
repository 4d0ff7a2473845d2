//! The smallest rawepoll program: creates an epoll, registers stdin, waits
//! once with timeout 0 and exits with the number of events (0 or 1), or
//! 255 on an error (stdin closed, or a regular file: `EPERM`).
//!
//! `#![no_std]`, `#![no_main]`, no libc: its own `_start`, and every system
//! call a `syscall` instruction inlined into this binary. Build it with
//!
//! ```text
//! cd programs/minimal && cargo build --profile minimal
//! # -> target/x86_64-unknown-linux-musl/minimal/rawepoll-minimal (stripped)
//! ```
//!
//! and try `echo hi | ./rawepoll-minimal; echo $?` (1) or
//! `./rawepoll-minimal < /dev/tty` (0 until you type).
#![no_std]
#![no_main]

use rawepoll::{BorrowedFd, Epoll, Events, Interest, Timeout, Token};

use rawepoll_start::exit;

// _start, and the C memory functions (rustix calls memset and strlen on
// i686, its auxv reading; on x86_64 nothing does, and the linker drops
// them).
rawepoll_start::main!(main);

// The whole program in one function, the entry point: each function
// apart costs its call and an unwind-table entry (16 to 28 bytes).
#[inline(always)]
fn main(_: rawepoll_start::Args, _: rawepoll_start::Env) -> i32 {
    // The event count, or 255 for any error.
    run().map_or(255, |n| n as i32)
}

#[inline(always)]
fn run() -> rawepoll::Result<usize> {
    let epoll = Epoll::new()?;
    // SAFETY: fd 0 is only lent to epoll_ctl for this call, and nothing in
    // this program closes it; if the process was started with it closed,
    // the kernel answers EBADF.
    let stdin = unsafe { BorrowedFd::borrow_raw(0) };
    epoll.add(stdin, Token(0), Interest::READABLE)?;
    let mut events = Events::<1>::new();
    epoll.wait(&mut events, Timeout::ZERO)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    exit(254)
}
