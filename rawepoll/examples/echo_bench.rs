//! The threaded echo server on rawepoll's `SharedRegistry`
//! (examples/echo_threads.rs) against the same server on mio and on
//! tokio's multi-threaded runtime, with 1, 2 and 4 workers, in one run.
//!
//! ```text
//! cargo run --release --example echo_bench
//! cargo run --release --example echo_bench -- --clients 32 --seconds 3 --size 64
//! ```
//!
//! Each server listens on loopback; `--clients` client threads (default
//! 16) each keep one connection and do request/response round trips of
//! `--size` bytes (default 64: write, then read the echo back) for
//! `--seconds` (default 2) per configuration, after a short warm-up. It
//! prints requests per second and the p50/p99 round-trip latency, and the
//! ratios against rawepoll measured in the same run. The clients share the
//! machine's cores with the server, alike for every server.
//!
//! * rawepoll: `echo_threads::serve`, N workers on one `SharedRegistry`,
//!   ONESHOT connections.
//! * mio: one `Poll` per worker (as mio users do it), each with its own
//!   clone of the listener; a connection stays with the worker that
//!   accepted it; edge-triggered, as mio always is.
//! * tokio: a multi-threaded runtime with N worker threads, a task per
//!   connection (`read`, then `write_all`).
//!
//! Lines a script reads: `echo_bench workers=N server=NAME rps=R p50_us=A p99_us=B`.

#[path = "echo_threads.rs"]
#[allow(dead_code)]
mod echo_threads;

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rawepoll::{AsFd, EventFd};

mod support {
    pub mod echo_load;
}
use support::echo_load;

use echo_load::{load, parse_args};

/// A running server: its address and how to stop it.
struct Server {
    addr: SocketAddr,
    stop: Box<dyn FnOnce()>,
}

fn rawepoll_server(workers: usize) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = EventFd::new().unwrap();
    let remote = EventFd::from(stop.as_fd().try_clone_to_owned().unwrap());
    let handle = thread::spawn(move || echo_threads::serve(listener, workers, Some(stop)));
    Server {
        addr,
        stop: Box::new(move || {
            remote.notify().unwrap();
            handle.join().unwrap().unwrap();
        }),
    }
}

/// One mio worker: its own Poll, its own clone of the listener.
fn mio_worker(
    listener: TcpListener,
    stop: Arc<AtomicBool>,
    waker_slot: std::sync::mpsc::Sender<Arc<mio::Waker>>,
) {
    use mio::net::TcpListener as MioListener;
    use mio::{Events, Interest, Poll, Token};
    const LISTENER: Token = Token(usize::MAX - 1);
    const WAKER: Token = Token(usize::MAX);
    let mut poll = Poll::new().unwrap();
    let waker = Arc::new(mio::Waker::new(poll.registry(), WAKER).unwrap());
    waker_slot.send(waker).unwrap();
    listener.set_nonblocking(true).unwrap();
    let mut listener = MioListener::from_std(listener);
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    struct Conn {
        stream: mio::net::TcpStream,
        pending: Vec<u8>,
    }
    let mut conns: HashMap<usize, Conn> = HashMap::new();
    let mut next = 0usize;
    let mut events = Events::with_capacity(64);
    let mut buf = vec![0u8; 16 * 1024];
    while !stop.load(Ordering::Relaxed) {
        if let Err(e) = poll.poll(&mut events, None) {
            assert_eq!(e.kind(), ErrorKind::Interrupted);
            continue;
        }
        for event in &events {
            match event.token() {
                WAKER => {}
                LISTENER => loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let t = Token(next);
                            next += 1;
                            poll.registry()
                                .register(&mut stream, t, Interest::READABLE | Interest::WRITABLE)
                                .unwrap();
                            conns.insert(
                                t.0,
                                Conn {
                                    stream,
                                    pending: Vec::new(),
                                },
                            );
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) if e.kind() == ErrorKind::ConnectionAborted => {}
                        Err(e) => panic!("accept: {e}"),
                    }
                },
                t => {
                    let Some(conn) = conns.get_mut(&t.0) else {
                        continue;
                    };
                    let mut done = false;
                    'io: loop {
                        while !conn.pending.is_empty() {
                            match conn.stream.write(&conn.pending) {
                                Ok(n) => drop(conn.pending.drain(..n)),
                                Err(e) if e.kind() == ErrorKind::WouldBlock => break 'io,
                                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                                Err(_) => {
                                    done = true;
                                    break 'io;
                                }
                            }
                        }
                        match conn.stream.read(&mut buf) {
                            Ok(0) => {
                                done = true;
                                break;
                            }
                            Ok(n) => conn.pending.extend_from_slice(&buf[..n]),
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(e) if e.kind() == ErrorKind::Interrupted => {}
                            Err(_) => {
                                done = true;
                                break;
                            }
                        }
                    }
                    if done {
                        if let Some(mut conn) = conns.remove(&t.0) {
                            let _ = poll.registry().deregister(&mut conn.stream);
                        }
                    }
                }
            }
        }
    }
}

fn mio_server(workers: usize) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (l, stop, tx) = (listener.try_clone().unwrap(), Arc::clone(&stop), tx.clone());
            thread::spawn(move || mio_worker(l, stop, tx))
        })
        .collect();
    let wakers: Vec<Arc<mio::Waker>> = (0..workers).map(|_| rx.recv().unwrap()).collect();
    drop(listener);
    Server {
        addr,
        stop: Box::new(move || {
            stop.store(true, Ordering::Relaxed);
            for w in &wakers {
                w.wake().unwrap();
            }
            for h in handles {
                h.join().unwrap();
            }
        }),
    }
}

fn tokio_server(workers: usize) -> Server {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_io()
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let accept = rt.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                }
            });
        }
    });
    Server {
        addr,
        stop: Box::new(move || {
            accept.abort();
            rt.shutdown_timeout(Duration::from_secs(5));
        }),
    }
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("echo_bench: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "# {} clients, {}-byte round trips, {} s per configuration, {} CPUs",
        o.clients,
        o.size,
        o.seconds,
        thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:>7} {:<9} {:>10} {:>8} {:>8} {:>10} {:>9}",
        "workers", "server", "req/s", "p50 µs", "p99 µs", "req/s vs", "p99 vs"
    );
    for workers in [1, 2, 4] {
        let mut base = None;
        type Make = fn(usize) -> Server;
        let servers: [(&str, Make); 3] = [
            ("rawepoll", rawepoll_server),
            ("mio", mio_server),
            ("tokio", tokio_server),
        ];
        for (name, make) in servers {
            let server = make(workers);
            let (rps, p50, p99) = load(server.addr, &o);
            (server.stop)();
            let (b_rps, b_p99) = *base.get_or_insert((rps, p99));
            println!(
                "{workers:>7} {name:<9} {rps:>10.0} {p50:>8.1} {p99:>8.1} {:>9.2}x {:>8.2}x",
                rps / b_rps,
                p99 / b_p99
            );
            println!("echo_bench workers={workers} server={name} rps={rps:.0} p50_us={p50:.1} p99_us={p99:.1}");
        }
    }
    ExitCode::SUCCESS
}
