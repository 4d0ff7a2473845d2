//! examples/async_echo.rs as a `#![no_std]`, `#![no_main]` static program:
//! the same async echo server on rawepoll's runtime, with no std, no libc
//! and no allocator. Sockets are rustix's; every system call is a
//! `syscall` instruction in this binary.
//!
//! ```text
//! cd programs/async_echo_nostd && cargo build --profile minimal
//! ../../target/x86_64-unknown-linux-musl/minimal/rawepoll-async-echo 0
//! ```
//!
//! The first line of output is `listening on 127.0.0.1:PORT`, as for the
//! other echo examples. Exit code 1 and a message on a setup error.
#![no_std]
#![no_main]

use core::future::{poll_fn, Future};
use core::pin::{pin, Pin};

use rawepoll::{Errno, OwnedFd};
use rawepoll_rt::{Runtime, TaskSet};
use rustix::net::{self, AddressFamily, SocketAddrV4, SocketFlags, SocketType};

use rawepoll_start::{exit, stderr, stdout, Args, Env};

// _start, and the C memory functions the compiler calls (moving futures,
// zeroing buffers).
rawepoll_start::main!(main);

/// Sources (the listener and the connections), timers and tasks.
const CAPACITY: usize = 128;

static RUNTIME: Runtime<CAPACITY> = Runtime::new();

fn main(args: Args, _: Env) -> i32 {
    let port = args.get(1).map_or(Some(0), parse_port);
    let Some(port) = port else {
        stderr(b"usage: rawepoll-async-echo [PORT]\n");
        return 2;
    };
    match serve(port) {
        Ok(()) => 0,
        Err(e) => {
            stderr(b"rawepoll-async-echo: errno ");
            let mut digits = [0u8; 10];
            stderr(itoa(e.raw_os_error() as u32, &mut digits));
            stderr(b"\n");
            1
        }
    }
}

fn serve(port: u16) -> Result<(), Errno> {
    let listener = net::socket_with(
        AddressFamily::INET,
        SocketType::STREAM,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    )?;
    net::sockopt::set_socket_reuseaddr(&listener, true)?;
    net::bind(&listener, &SocketAddrV4::new([127, 0, 0, 1].into(), port))?;
    net::listen(&listener, 1024)?;
    let addr = net::getsockname(&listener)?;
    let port = SocketAddrV4::try_from(addr)
        .map_err(|_| Errno::AFNOSUPPORT)?
        .port();
    let mut line = *b"listening on 127.0.0.1:\0\0\0\0\0\0";
    let mut digits = [0u8; 10];
    let d = itoa(u32::from(port), &mut digits);
    line[23..23 + d.len()].copy_from_slice(d);
    line[23 + d.len()] = b'\n';
    stdout(&line[..24 + d.len()]);

    let listener = RUNTIME.register(listener)?;
    let tasks = pin!(TaskSet::new(&RUNTIME)?);
    let tasks = tasks.into_ref();
    RUNTIME.block_on(tasks.run_with(async {
        loop {
            match net::accept_with(
                listener.get_ref(),
                SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            ) {
                // No room: dropped, that is, closed at once.
                Ok(conn) => drop(tasks.spawn(handle(conn))),
                Err(Errno::AGAIN) => {
                    listener.clear_readable();
                    let mut ready = listener.readable();
                    poll_fn(|cx| Pin::new(&mut ready).poll(cx)).await;
                }
                // EINTR, ECONNABORTED, EMFILE…: that connection, not the server.
                Err(_) => {}
            }
        }
    }))
}

/// One connection: echo until end of file or an error.
async fn handle(conn: OwnedFd) {
    let Ok(conn) = RUNTIME.register(conn) else {
        return; // no room: closed
    };
    let mut buf = [0u8; 2048];
    loop {
        let n = match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut at = 0;
        while at < n {
            match conn.write(&buf[at..n]).await {
                Ok(0) | Err(_) => return,
                Ok(k) => at += k,
            }
        }
    }
}

fn parse_port(s: &[u8]) -> Option<u16> {
    if s.is_empty() || s.len() > 5 {
        return None;
    }
    let mut n: u32 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    u16::try_from(n).ok()
}

fn itoa(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    stderr(b"rawepoll-async-echo: internal error\n");
    exit(254)
}
