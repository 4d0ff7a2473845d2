//! Drives examples/echo_threads.rs (4 workers on one SharedRegistry) with
//! 64 concurrent clients, each sending 64 KiB in odd-sized writes while
//! reading the echo, and checks every byte, in order.

#[path = "../examples/echo_threads.rs"]
#[allow(dead_code)]
mod echo_threads;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};
use std::thread;

use rawepoll::{AsFd, EventFd};

const CLIENTS: usize = 64;
const BYTES: usize = 64 * 1024;

fn pattern(client: usize) -> Vec<u8> {
    (0..BYTES)
        .map(|i| {
            ((i as u32).wrapping_mul(2_654_435_761) >> 11) as u8 ^ (client as u8).wrapping_mul(37)
        })
        .collect()
}

fn client(addr: std::net::SocketAddr, id: usize, all_connected: &Barrier) -> Vec<u8> {
    let stream = TcpStream::connect(addr).unwrap();
    all_connected.wait();
    let mut reader = stream.try_clone().unwrap();
    let data = pattern(id);
    let got = thread::scope(|s| {
        let r = s.spawn(move || {
            let mut got = Vec::with_capacity(BYTES);
            reader.read_to_end(&mut got).unwrap();
            got
        });
        // Odd-sized writes: 1, 3, 7, ... up to 4 KiB, cycling, so that the
        // server sees every cut.
        let mut w = &stream;
        let mut at = 0;
        let mut size = 1 + id % 5;
        while at < data.len() {
            let end = (at + size).min(data.len());
            w.write_all(&data[at..end]).unwrap();
            at = end;
            size = ((size * 3 + 2) % 4093) | 1;
        }
        stream.shutdown(Shutdown::Write).unwrap();
        r.join().unwrap()
    });
    got
}

#[test]
fn sixty_four_clients_get_every_byte_back_from_four_workers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = EventFd::new().unwrap();
    let stop_remote = EventFd::from(stop.as_fd().try_clone_to_owned().unwrap());
    let server = thread::spawn(move || echo_threads::serve(listener, 4, Some(stop)));

    let all_connected = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let all_connected = Arc::clone(&all_connected);
            thread::spawn(move || (id, client(addr, id, &all_connected)))
        })
        .collect();
    for c in clients {
        let (id, got) = c.join().unwrap();
        let want = pattern(id);
        assert_eq!(got.len(), want.len(), "client {id}: length");
        if let Some(i) = got.iter().zip(&want).position(|(a, b)| a != b) {
            panic!("client {id}: first wrong byte at {i}");
        }
    }
    stop_remote.notify().unwrap();
    let stats = server.join().unwrap().unwrap();
    assert_eq!(stats.accepted.load(Ordering::Relaxed), CLIENTS as u64);
    assert_eq!(
        stats.bytes_echoed.load(Ordering::Relaxed),
        (CLIENTS * BYTES) as u64
    );
    assert_eq!(stats.refused.load(Ordering::Relaxed), 0);
}

#[test]
fn command_line_arguments() {
    assert_eq!(echo_threads::parse_args(["0".to_string()]), Ok((0, 4)));
    assert_eq!(
        echo_threads::parse_args(["7000", "--workers", "2"].map(String::from)),
        Ok((7000, 2))
    );
    assert!(echo_threads::parse_args(["--workers".to_string(), "0".to_string()]).is_err());
    assert!(echo_threads::parse_args(["x".to_string()]).is_err());
}
