//! A TCP echo server with 4 worker threads on one [`SharedRegistry`].
//!
//! ```text
//! cargo run --release --example echo_threads -- 0      # port 0: any free port
//! cargo run --release --example echo_threads -- 7000 --workers 2
//! ```
//!
//! The first line of output is exactly `listening on 127.0.0.1:PORT`.
//!
//! **Why ONESHOT.** Every worker waits on the same epoll. With
//! [`Interest::ONESHOT`] the kernel disarms a connection as it reports it,
//! so one event goes to one worker: no two workers read the same socket,
//! and the order of the bytes is kept without any lock but the one the
//! registry holds on that connection while its handler runs. The worker
//! re-arms the connection when it has read until `EAGAIN` (for reading),
//! or when a write would block (for writing). The listener is registered
//! the same way under a token of our own (below `Token::REGISTRY_BIT`):
//! one worker accepts until `EAGAIN`, then re-arms it. Edge-triggered would
//! work too, but two workers could then be woken for one connection and
//! the second would only wait for the first's lock.
//!
//! A connection removed by one worker while another holds its event is
//! dropped by the registry's generation check, even if a new connection got
//! its fd number and slot in between: see `stale_events` in the stats.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};

use rawepoll::registry::{SlotGuard, Target};
use rawepoll::{
    AsFd, BorrowedFd, Errno, EventFd, Events, Interest, SharedRegistry, Timeout, Token,
};

/// Connections held at once.
pub const MAX_CONNECTIONS: usize = 4096;
/// Our own tokens, below `Token::REGISTRY_BIT`.
const LISTENER: Token = Token(0);
const STOP: Token = Token(1);

/// One client connection.
pub struct Conn {
    stream: TcpStream,
    /// Read but not yet written back.
    pending: Vec<u8>,
    /// The peer will send nothing more.
    eof: bool,
}

impl AsFd for Conn {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }
}

type Registry = SharedRegistry<Conn, MAX_CONNECTIONS>;

/// Counters, summed over the workers.
#[derive(Debug, Default)]
pub struct Stats {
    pub accepted: AtomicU64,
    pub refused: AtomicU64,
    pub bytes_echoed: AtomicU64,
    pub stale_events: AtomicU64,
}

/// What a connection waits for next.
enum Next {
    Read,
    Write,
    Done,
}

/// The loop's reasons to stop a worker: the stop fd, or an error.
enum Stop {
    Asked,
    Failed(io::Error),
}

impl From<Errno> for Stop {
    fn from(e: Errno) -> Self {
        Stop::Failed(e.into())
    }
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Failed(e)
    }
}

/// Serves `listener` with `workers` threads until `stop` (if any) is
/// notified; returns the counters.
pub fn serve(listener: TcpListener, workers: usize, stop: Option<EventFd>) -> io::Result<Stats> {
    listener.set_nonblocking(true)?;
    // About 230 KiB of slots. (With the `std` feature,
    // `Registry::new_boxed()` builds it on the heap without the stack.)
    let registry = Box::new(Registry::new());
    let epoll = registry.epoll()?;
    epoll.add(&listener, LISTENER, Interest::READABLE | Interest::ONESHOT)?;
    if let Some(stop) = &stop {
        // Level-triggered and never drained: every worker sees it.
        epoll.add(stop, STOP, Interest::READABLE)?;
    }
    let stats = Stats::default();
    let result = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| s.spawn(|| worker(&registry, &listener, &stats)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker panicked"))
            .collect::<io::Result<Vec<()>>>()
    });
    stats
        .stale_events
        .store(registry.stale_events(), Ordering::Relaxed);
    // Dropping the registry closes the connections still open.
    result.map(|_| stats)
}

fn worker(registry: &Registry, listener: &TcpListener, stats: &Stats) -> io::Result<()> {
    let mut events = Events::<64>::new();
    loop {
        match registry.wait(&mut events, Timeout::NEVER) {
            Ok(_) => {}
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let handled = registry.try_dispatch(&events, |target, event| match target {
            Target::Foreign(LISTENER) => accept_all(registry, listener, stats),
            Target::Foreign(_) => Err(Stop::Asked),
            Target::Source(conn) => {
                let hung_up = event.is_hangup() || event.is_error();
                serve_conn(conn, hung_up, stats)
            }
        });
        match handled {
            Ok(_) => {}
            Err(Stop::Asked) => return Ok(()),
            Err(Stop::Failed(e)) => return Err(e),
        }
    }
}

/// Accepts until `EAGAIN`, then re-arms the listener for the next worker.
fn accept_all(registry: &Registry, listener: &TcpListener, stats: &Stats) -> Result<(), Stop> {
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
            // Out of fds: leave it in the backlog for now.
            Err(e) if e.raw_os_error() == Some(Errno::MFILE.raw_os_error()) => break,
            Err(e) => return Err(e.into()),
        };
        stream.set_nonblocking(true)?;
        let conn = Conn {
            stream,
            pending: Vec::new(),
            eof: false,
        };
        let interest = Interest::READABLE | Interest::READ_CLOSED | Interest::ONESHOT;
        match registry.insert(conn, interest) {
            Ok(_) => stats.accepted.fetch_add(1, Ordering::Relaxed),
            // Full (or refused): closed at once, cleanly.
            Err(e) => {
                drop(e.into_source());
                stats.refused.fetch_add(1, Ordering::Relaxed)
            }
        };
    }
    let epoll = registry.epoll()?;
    epoll.modify(listener, LISTENER, Interest::READABLE | Interest::ONESHOT)?;
    Ok(())
}

/// Moves bytes from the socket back to it until one way would block, then
/// re-arms the connection for that way, or removes it when it is done.
fn serve_conn(
    mut conn: SlotGuard<'_, Conn, MAX_CONNECTIONS>,
    hung_up: bool,
    stats: &Stats,
) -> Result<(), Stop> {
    let next = echo(&mut conn, stats);
    let next = match next {
        // A hang-up with nothing left to send: done.
        Next::Read if hung_up && conn.pending.is_empty() => Next::Done,
        next => next,
    };
    let rearm = match next {
        Next::Read => Interest::READABLE | Interest::READ_CLOSED | Interest::ONESHOT,
        Next::Write => Interest::WRITABLE | Interest::ONESHOT,
        Next::Done => {
            // Deleted from the epoll, its slot's tokens made stale, closed.
            drop(conn.remove());
            return Ok(());
        }
    };
    if conn.rearm(rearm).is_err() {
        drop(conn.remove());
    }
    Ok(())
}

fn echo(conn: &mut Conn, stats: &Stats) -> Next {
    let mut buf = [0u8; 16 * 1024];
    loop {
        while !conn.pending.is_empty() {
            match conn.stream.write(&conn.pending) {
                Ok(0) => return Next::Done,
                Ok(n) => {
                    conn.pending.drain(..n);
                    stats.bytes_echoed.fetch_add(n as u64, Ordering::Relaxed);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Next::Write,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Next::Done,
            }
        }
        if conn.eof {
            let _ = conn.stream.shutdown(std::net::Shutdown::Write);
            return Next::Done;
        }
        match conn.stream.read(&mut buf) {
            Ok(0) => conn.eof = true,
            Ok(n) => conn.pending.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Next::Read,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Next::Done,
        }
    }
}

/// The command line: `[PORT] [--workers N]`.
pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<(u16, usize), String> {
    let (mut port, mut workers) = (0u16, 4usize);
    let mut args = args.into_iter();
    while let Some(a) = args.next() {
        if a == "--workers" {
            let v = args.next().ok_or("--workers needs a number")?;
            workers = v
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("not a worker count: {v}"))?;
        } else {
            port = a.parse().map_err(|_| format!("not a port number: {a}"))?;
        }
    }
    Ok((port, workers))
}

#[allow(dead_code)] // when included by tests
fn main() -> io::Result<()> {
    let (port, workers) = parse_args(std::env::args().skip(1))
        .map_err(|e| io::Error::new(ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    serve(listener, workers, None).map(drop)
}
