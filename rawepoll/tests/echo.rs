//! Drives the echo example with many concurrent clients on loopback and
//! checks that every byte comes back, in order; and that a full registry
//! refuses connections cleanly.

#[path = "../examples/echo.rs"]
#[allow(dead_code)]
mod echo;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use rawepoll::{EventFd, OwnedFd};

const CLIENTS: usize = 300;
const BYTES_PER_CLIENT: usize = 100_000;

fn pattern(client: usize, len: usize) -> Vec<u8> {
    // Differs per client and per position: a swap, a loss or a repeat shows.
    (0..len)
        .map(|i| {
            ((i as u32).wrapping_mul(2_654_435_761) >> 13) as u8 ^ (client as u8).wrapping_mul(31)
        })
        .collect()
}

struct Server {
    addr: SocketAddr,
    stop: OwnedFd,
    thread: thread::JoinHandle<echo::Stats>,
}

impl Server {
    fn start<const N: usize>() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = EventFd::new().unwrap();
        // The server owns the eventfd; we notify it through a dup.
        let stop_dup = rustix::io::dup(&stop).unwrap();
        let thread = thread::spawn(move || echo::serve::<N>(listener, Some(stop)).unwrap());
        Server {
            addr,
            stop: stop_dup,
            thread,
        }
    }

    fn stop(self) -> echo::Stats {
        rustix::io::write(&self.stop, &1u64.to_ne_bytes()).unwrap();
        self.thread.join().unwrap()
    }
}

/// Sends `data` from one thread while reading the echo on another;
/// returns what came back.
fn round_trip(addr: SocketAddr, data: Vec<u8>, all_connected: &Barrier) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    // Every client is connected before any sends: all are open at once.
    all_connected.wait();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sender = thread::spawn(move || {
        // Uneven chunks: partial reads and writes on the server side.
        for chunk in data.chunks(7_919) {
            writer.write_all(chunk).unwrap();
        }
        writer.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    sender.join().unwrap();
    back
}

#[test]
fn many_concurrent_clients_get_every_byte_back_in_order() {
    let server = Server::start::<{ echo::MAX_CONNECTIONS + 2 }>();
    let addr = server.addr;
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || (c, round_trip(addr, pattern(c, BYTES_PER_CLIENT), &barrier)))
        })
        .collect();
    let mut checked = 0;
    for client in clients {
        let (c, back) = client.join().unwrap();
        assert_eq!(back.len(), BYTES_PER_CLIENT, "client {c}");
        assert!(
            back == pattern(c, BYTES_PER_CLIENT),
            "client {c}: bytes differ"
        );
        checked += back.len();
    }
    let stats = server.stop();
    println!("{CLIENTS} clients, {checked} bytes checked, {stats:?}");
    assert_eq!(stats.accepted, CLIENTS as u64);
    assert_eq!(stats.refused, 0);
    assert!(
        stats.max_open >= 256,
        "only {} connections at once",
        stats.max_open
    );
    assert_eq!(stats.bytes_echoed, (CLIENTS * BYTES_PER_CLIENT) as u64);
}

#[test]
fn a_full_registry_refuses_connections_cleanly() {
    // Room for the listener, the stop fd and 2 connections.
    let server = Server::start::<4>();
    let held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            // Make sure it was accepted and registered before the next.
            s.write_all(b"x").unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).unwrap();
            s
        })
        .collect();
    // The third is accepted and closed at once: EOF or reset, no hang.
    let mut third = TcpStream::connect(server.addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut b = [0u8; 1];
    match third.read(&mut b) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("expected the connection to be closed, got {other:?}"),
    }
    // The held connections still work.
    for mut s in held {
        s.write_all(b"still here").unwrap();
        let mut back = [0u8; 10];
        s.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"still here");
    }
    let stats = server.stop();
    assert_eq!((stats.accepted, stats.refused), (2, 1));
}
