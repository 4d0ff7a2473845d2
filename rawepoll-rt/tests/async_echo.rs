//! Drives examples/async_echo.rs (rawepoll's own async runtime) with the
//! echo harness: 64 concurrent clients × 64 KiB in odd-sized writes, every
//! byte checked, and the server's counts; and the same against its no_std,
//! no_main, no-libc build (programs/async_echo_nostd), as a process.

#[path = "../examples/async_echo.rs"]
#[allow(dead_code)]
mod async_echo;

mod support {
    pub mod echo_clients;
    pub mod no_main;
}
use support::{echo_clients, no_main};

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

#[test]
fn the_no_std_static_build_passes_the_same_harness() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    if !cfg!(target_arch = "x86_64") || !no_main::in_the_repository("async_echo_nostd") {
        return;
    }
    let bin = no_main::build(
        "async_echo_nostd",
        "rawepoll-async-echo",
        "x86_64-unknown-linux-musl",
        "async-echo-test",
    );
    let mut server = Command::new(&bin)
        .arg("0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .parse()
        .unwrap();
    echo_clients::sixty_four_clients(addr);
    let still_running = server.try_wait().unwrap().is_none();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(still_running, "the server exited during the run");
    // Static, no dynamic section, no libc.
    let elf = std::fs::read(&bin).unwrap();
    assert_eq!(&elf[..4], b"\x7fELF");
    let readelf = Command::new("readelf").arg("-d").arg(&bin).output();
    if let Ok(out) = readelf {
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("no dynamic section"), "{text}");
    }
}
