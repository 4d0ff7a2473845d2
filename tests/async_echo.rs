//! Drives examples/async_echo.rs (rawepoll's own async runtime) with the
//! echo harness: 64 concurrent clients × 64 KiB in odd-sized writes, every
//! byte checked, and the server's counts.
#![cfg(all(feature = "async", feature = "std"))]

#[path = "../examples/async_echo.rs"]
#[allow(dead_code)]
mod async_echo;

#[path = "support/echo_clients.rs"]
mod echo_clients;

use std::net::TcpListener;
use std::thread;

use rawepoll::{AsFd, EventFd};

use echo_clients::{BYTES, CLIENTS};

#[test]
fn sixty_four_clients_get_every_byte_back() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = EventFd::new().unwrap();
    let stop_remote = EventFd::from(stop.as_fd().try_clone_to_owned().unwrap());
    let server = thread::spawn(move || {
        let stats = async_echo::serve(&async_echo::RUNTIME, listener, Some(stop)).unwrap();
        (
            stats.accepted.get(),
            stats.refused.get(),
            stats.bytes_echoed.get(),
        )
    });
    echo_clients::sixty_four_clients(addr);
    stop_remote.notify().unwrap();
    let (accepted, refused, bytes) = server.join().unwrap();
    assert_eq!(accepted, CLIENTS as u64);
    assert_eq!(refused, 0);
    assert_eq!(bytes, (CLIENTS * BYTES) as u64);
}

#[test]
fn command_line_arguments() {
    assert_eq!(async_echo::parse_args([]), Ok(0));
    assert_eq!(async_echo::parse_args(["7000".to_string()]), Ok(7000));
    assert!(async_echo::parse_args(["x".to_string()]).is_err());
}
