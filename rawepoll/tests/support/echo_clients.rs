//! The echo test harness the threaded and async echo servers share: 64
//! concurrent clients, each sending 64 KiB in odd-sized writes while
//! reading the echo, every byte checked, in order.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::thread;

pub const CLIENTS: usize = 64;
pub const BYTES: usize = 64 * 1024;

fn pattern(client: usize) -> Vec<u8> {
    (0..BYTES)
        .map(|i| {
            ((i as u32).wrapping_mul(2_654_435_761) >> 11) as u8 ^ (client as u8).wrapping_mul(37)
        })
        .collect()
}

fn client(addr: SocketAddr, id: usize, all_connected: &Barrier) -> Vec<u8> {
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

/// Runs the 64 clients against `addr` at once; panics on a wrong or
/// missing byte, naming the client and the offset.
pub fn sixty_four_clients(addr: SocketAddr) {
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
}
