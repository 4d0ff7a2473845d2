//! A non-blocking, edge-triggered TCP echo server on 127.0.0.1, built on a
//! [`Registry`] so that an event for a closed connection can never reach a
//! new one that reused its slot or fd number.
//!
//! ```text
//! cargo run --example echo -- 7000      # port (default 0: any free port)
//! ```
//!
//! The first line of output is exactly `listening on 127.0.0.1:PORT`. It
//! holds up to 1024 connections at once; past that, new connections are
//! accepted and closed at once (refused cleanly), and counted. Partial
//! reads and writes, `EAGAIN`, and peer hang-up (RDHUP) are handled: what a
//! client sends comes back, in order, before its connection is closed.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};

use rawepoll::{AsFd, BorrowedFd, Errno, EventFd, Events, Interest, Registry, Timeout, Token};

/// Connections held at once by the example binary.
pub const MAX_CONNECTIONS: usize = 1024;

/// What the server watches: the listener, its connections, and a stop
/// signal (used by the tests).
pub enum Source {
    Listener(TcpListener),
    Conn(Conn),
    Stop(EventFd),
}

/// One client connection.
pub struct Conn {
    stream: TcpStream,
    /// Read but not yet written back.
    pending: Vec<u8>,
    /// The peer will send nothing more.
    eof: bool,
}

impl AsFd for Source {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Source::Listener(l) => l.as_fd(),
            Source::Conn(c) => c.stream.as_fd(),
            Source::Stop(e) => e.as_fd(),
        }
    }
}

/// Counters the server reports when stopped.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub accepted: u64,
    pub refused: u64,
    pub bytes_echoed: u64,
    pub stale_events: u64,
    /// The most connections open at once.
    pub max_open: usize,
}

/// Serves `listener` with room for `N - 2` connections until `stop` (if
/// any) is notified.
pub fn serve<const N: usize>(listener: TcpListener, stop: Option<EventFd>) -> io::Result<Stats> {
    listener.set_nonblocking(true)?;
    let mut registry = Registry::<Source, N>::new()?;
    let mut stats = Stats::default();
    let listener_token = registry
        .insert(
            Source::Listener(listener),
            Interest::READABLE | Interest::EDGE,
        )
        .map_err(|e| io::Error::from(e.errno()))?;
    if let Some(stop) = stop {
        registry
            .insert(Source::Stop(stop), Interest::READABLE)
            .map_err(|e| io::Error::from(e.errno()))?;
    }

    let mut events = Events::<256>::new();
    loop {
        match registry.wait(&mut events, Timeout::NEVER) {
            Ok(_) => {}
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let mut stop_now = false;
        // The first error ends the batch and the server, through `?`.
        registry.try_dispatch(&events, |reg, token, event| {
            if token == listener_token {
                return accept_all(reg, listener_token, &mut stats);
            }
            let done = match reg.get_mut(token) {
                Some(Source::Stop(_)) => {
                    stop_now = true;
                    false
                }
                Some(Source::Conn(conn)) => {
                    let hung_up = event.is_hangup() || event.is_error();
                    !serve_conn(conn, &mut stats) || (hung_up && conn.pending.is_empty())
                }
                _ => false,
            };
            if done {
                // Deleted from the epoll first, then closed by the drop.
                drop(reg.remove(token));
            }
            Ok(())
        })?;
        if stop_now {
            stats.stale_events = registry.stale_events();
            return Ok(stats);
        }
    }
}

/// Accepts until `EAGAIN` (edge-triggered); refuses what does not fit.
fn accept_all<const N: usize>(
    reg: &mut Registry<Source, N>,
    listener: Token,
    stats: &mut Stats,
) -> io::Result<()> {
    loop {
        let accepted = match reg.get(listener) {
            Some(Source::Listener(l)) => l.accept(),
            _ => return Ok(()),
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // The peer gave up before we accepted: not our problem.
            Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
            // Out of fds: refuse by leaving it in the backlog for now.
            Err(e) if e.raw_os_error() == Some(Errno::MFILE.raw_os_error()) => return Ok(()),
            Err(e) => return Err(e),
        };
        stream.set_nonblocking(true)?;
        let conn = Conn {
            stream,
            pending: Vec::new(),
            eof: false,
        };
        let interest =
            Interest::READABLE | Interest::WRITABLE | Interest::READ_CLOSED | Interest::EDGE;
        match reg.insert(Source::Conn(conn), interest) {
            Ok(_) => {
                stats.accepted += 1;
                stats.max_open = stats.max_open.max(
                    reg.iter()
                        .filter(|(_, s)| matches!(s, Source::Conn(_)))
                        .count(),
                );
            }
            // Full (or the kernel refused): close it at once, cleanly.
            Err(e) => {
                stats.refused += 1;
                drop(e.into_source());
            }
        }
    }
}

/// Moves bytes from the socket back to it until both ways would block.
/// Returns `false` when the connection is finished (or failed).
fn serve_conn(conn: &mut Conn, stats: &mut Stats) -> bool {
    let mut buf = [0u8; 16 * 1024];
    loop {
        // Write back what is pending.
        while !conn.pending.is_empty() {
            match conn.stream.write(&conn.pending) {
                Ok(0) => return false,
                Ok(n) => {
                    conn.pending.drain(..n);
                    stats.bytes_echoed += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true, // wait for WRITABLE
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        if conn.eof {
            // Everything was echoed: we are done with this client.
            let _ = conn.stream.shutdown(std::net::Shutdown::Write);
            return false;
        }
        // Pending is empty here: read one buffer's worth, then echo it, so
        // a connection never holds more than one buffer of unsent data.
        match conn.stream.read(&mut buf) {
            Ok(0) => conn.eof = true,
            Ok(n) => conn.pending.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true, // wait for READABLE
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

#[allow(dead_code)] // when included by tests/echo.rs
fn main() -> io::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        None => 0,
        Some(arg) => arg.parse().map_err(|_| {
            io::Error::new(ErrorKind::InvalidInput, format!("not a port number: {arg}"))
        })?,
    };
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    // The listener and the stop fd take two slots.
    serve::<{ MAX_CONNECTIONS + 2 }>(listener, None).map(drop)
}
