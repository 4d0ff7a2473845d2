//! Drives examples/echo_threads.rs (4 workers on one SharedRegistry) with
//! 64 concurrent clients, each sending 64 KiB in odd-sized writes while
//! reading the echo, and checks every byte, in order.

#[path = "../examples/echo_threads.rs"]
#[allow(dead_code)]
mod echo_threads;

mod support {
    pub mod echo_clients;
}
use support::echo_clients;

use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::thread;

use echo_clients::{BYTES, CLIENTS};

use rawepoll::{AsFd, EventFd};

#[test]
fn sixty_four_clients_get_every_byte_back_from_four_workers() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = EventFd::new().unwrap();
    let stop_remote = EventFd::from(stop.as_fd().try_clone_to_owned().unwrap());
    let server = thread::spawn(move || echo_threads::serve(listener, 4, Some(stop)));

    echo_clients::sixty_four_clients(addr);
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
