//! An async TCP echo server on rawepoll's own runtime (rawepoll-rt): no
//! tokio, no allocator in the server loop, every connection a task of one
//! [`TaskSet`], pinned in place.
//!
//! ```text
//! cargo run --release -p rawepoll-rt --features std --example async_echo -- 0   # port 0: any free port
//! ```
//!
//! The first line of output is exactly `listening on 127.0.0.1:PORT`, as
//! for the other echo examples.
//!
//! The listener and each connection are [`Async`] sources of one
//! [`Runtime`]; the accept loop runs as the main future of
//! [`TaskSet::run_with`], and spawns a `handle` task per connection. A
//! connection beyond the runtime's capacity is refused (closed at once) and
//! counted, never queued without bound.

use core::cell::Cell;
use core::future::poll_fn;
use core::future::Future;
use core::pin::{pin, Pin};
use core::task::Poll;
use std::io::{self, ErrorKind, Write};
use std::net::{TcpListener, TcpStream};

use rawepoll::EventFd;
use rawepoll_rt::{Async, Runtime, TaskSet};

/// Sources (the listener, the stop eventfd, the connections), timers and
/// tasks the server's runtime has room for. The tasks live in place in the
/// `TaskSet`, on the stack of `serve`: 128 of them with a 2 KiB buffer each
/// are about 270 KiB.
pub const CAPACITY: usize = 128;

/// The server's runtime: a `static`, so that its wakers can never outlive it.
pub static RUNTIME: Runtime<CAPACITY> = Runtime::new();

/// What the server did.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub accepted: Cell<u64>,
    /// Connections closed at once: no room in the runtime.
    pub refused: Cell<u64>,
    /// Bytes read and written back.
    pub bytes_echoed: Cell<u64>,
}

fn add(counter: &Cell<u64>, n: u64) {
    counter.set(counter.get() + n);
}

/// Echoes on `listener` until `stop` (if any) is notified.
///
/// # Errors
///
/// Setting up the listener, or the runtime failing (`epoll_wait`).
pub fn serve(
    rt: &'static Runtime<CAPACITY>,
    listener: TcpListener,
    stop: Option<EventFd>,
) -> io::Result<Stats> {
    listener.set_nonblocking(true)?;
    let listener = rt.register(listener)?;
    let stop = stop.map(|s| rt.register(s)).transpose()?;
    let stats = Stats::default();
    serve_on(rt, &listener, stop.as_ref(), &stats)?;
    drop(stop);
    drop(listener);
    Ok(stats)
}

/// The accept loop and its connections' tasks; they borrow `stats`, and are
/// dropped (connections closed) before it is returned.
fn serve_on(
    rt: &'static Runtime<CAPACITY>,
    listener: &Async<TcpListener, CAPACITY>,
    stop: Option<&Async<EventFd, CAPACITY>>,
    stats: &Stats,
) -> io::Result<()> {
    let tasks = pin!(TaskSet::new(rt)?);
    let tasks = tasks.into_ref();
    let accept_loop = async {
        loop {
            match listener.get_ref().accept() {
                Ok((stream, _)) => {
                    add(&stats.accepted, 1);
                    stream.set_nonblocking(true)?;
                    if let Err(full) = tasks.spawn(handle(rt, stream, stats)) {
                        drop(full); // the stream with it: closed
                        add(&stats.refused, 1);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    listener.clear_readable();
                    // A new connection, or the stop signal.
                    let mut accept = listener.readable();
                    let mut stopped = stop.map(|s| s.readable());
                    poll_fn(|cx| {
                        let a = Pin::new(&mut accept).poll(cx).is_ready();
                        let s = stopped
                            .as_mut()
                            .is_some_and(|f| Pin::new(f).poll(cx).is_ready());
                        if a || s {
                            Poll::Ready(())
                        } else {
                            Poll::Pending
                        }
                    })
                    .await;
                    if let Some(stop) = stop {
                        if stop.get_ref().drain()? > 0 {
                            return Ok::<(), io::Error>(());
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // ECONNABORTED, EMFILE…: this connection is lost, not the server.
                Err(_) => add(&stats.refused, 1),
            }
        }
    };
    rt.block_on(tasks.run_with(accept_loop))?
}

/// One connection: read what comes, write it back, until end of file or an
/// error.
async fn handle(rt: &'static Runtime<CAPACITY>, stream: TcpStream, stats: &Stats) {
    let Ok(conn) = rt.register(stream) else {
        add(&stats.refused, 1); // no source slot left: closed
        return;
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
        add(&stats.bytes_echoed, n as u64);
    }
}

/// `[PORT]`: the port to listen on (0 by default: any free one).
///
/// # Errors
///
/// A message for a bad argument.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<u16, String> {
    let mut port = 0;
    for arg in args {
        port = arg
            .parse()
            .map_err(|_| format!("usage: async_echo [PORT]; not a port: {arg}"))?;
    }
    Ok(port)
}

#[allow(dead_code)] // when included by tests
fn main() -> io::Result<()> {
    let port = parse_args(std::env::args().skip(1))
        .map_err(|e| io::Error::new(ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    serve(&RUNTIME, listener, None).map(drop)
}
