//! Sources that are not byte streams, and sources that were blocking (the
//! first-day report of issue 24): every queued datagram is read, whatever
//! the socket family (Unix datagram, UDP, SEQPACKET), and a blocking fd
//! registered as it is cannot freeze the runtime.
// std's I/O errors through read_with/write_with: the `std` feature
// (`cargo test --all-features`, as CI and the README run it).
#![cfg(feature = "std")]

use std::io::{Read, Write};
use std::net::UdpSocket;
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::sync::mpsc;
use std::time::Duration;

use rawepoll::{AsFd, Errno};
use rawepoll_rt::{Async, Runtime};

/// Runs `f` on a thread of its own and fails the test if it has not
/// finished in 10 s (a frozen runtime would hang the whole suite).
fn within_10s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(f()).unwrap());
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the runtime froze: no answer in 10 s"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the test's thread panicked"),
    }
}

/// Sends three messages to `rx`'s peer, then reads them back through the
/// runtime, each under a 500 ms timeout.
fn reads_every_queued_message<S: AsFd + 'static>(
    rt: &'static Runtime<8>,
    rx: S,
    send: impl Fn(&[u8]),
) -> Vec<String> {
    for m in ["one", "two", "three"] {
        send(m.as_bytes());
    }
    rt.block_on(async {
        let rx: Async<S, 8> = rt.register(rx)?;
        let mut got = Vec::new();
        for _ in 0..3 {
            let mut buf = [0u8; 64];
            let n = rt
                .timeout(Duration::from_millis(500), rx.read(&mut buf))
                .await??;
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        Ok::<_, Errno>(got)
    })
    .unwrap()
    .unwrap()
}

#[test]
fn every_unix_datagram_is_read() {
    static RT: Runtime<8> = Runtime::new();
    let (a, b) = UnixDatagram::pair().unwrap();
    let got = within_10s(move || {
        reads_every_queued_message(&RT, a, |m| {
            b.send(m).unwrap();
        })
    });
    assert_eq!(got, ["one", "two", "three"]);
}

#[test]
fn every_udp_datagram_is_read() {
    static RT: Runtime<8> = Runtime::new();
    let a = UdpSocket::bind("127.0.0.1:0").unwrap();
    let b = UdpSocket::bind("127.0.0.1:0").unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    let got = within_10s(move || {
        reads_every_queued_message(&RT, a, |m| {
            b.send(m).unwrap();
        })
    });
    assert_eq!(got, ["one", "two", "three"]);
}

#[test]
fn every_seqpacket_message_is_read() {
    static RT: Runtime<8> = Runtime::new();
    let (a, b) = rustix::net::socketpair(
        rustix::net::AddressFamily::UNIX,
        rustix::net::SocketType::SEQPACKET,
        rustix::net::SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let got = within_10s(move || {
        reads_every_queued_message(&RT, a, |m| {
            rustix::net::send(&b, m, rustix::net::SendFlags::empty()).unwrap();
        })
    });
    assert_eq!(got, ["one", "two", "three"]);
}

#[test]
fn a_stream_still_reads_everything_in_order() {
    // The byte-stream shortcut (a short read forgets the readiness) stays
    // right for streams: every byte, in order, over many short reads.
    static RT: Runtime<8> = Runtime::new();
    let (a, mut b) = UnixStream::pair().unwrap();
    let got = within_10s(move || {
        let writer = std::thread::spawn(move || {
            for i in 0..200u8 {
                b.write_all(&[i; 37]).unwrap();
                std::thread::sleep(Duration::from_micros(200));
            }
        });
        let got = RT
            .block_on(async {
                let a = RT.register(a)?;
                let mut all = Vec::new();
                let mut buf = [0u8; 100];
                loop {
                    let n = RT
                        .timeout(Duration::from_secs(2), a.read(&mut buf))
                        .await??;
                    if n == 0 {
                        return Ok::<_, Errno>(all);
                    }
                    all.extend_from_slice(&buf[..n]);
                }
            })
            .unwrap()
            .unwrap();
        writer.join().unwrap();
        got
    });
    let expected: Vec<u8> = (0..200u8).flat_map(|i| [i; 37]).collect();
    assert_eq!(got, expected);
}

#[test]
fn a_blocking_fd_is_made_non_blocking_and_cannot_freeze_the_runtime() {
    static RT: Runtime<8> = Runtime::new();
    // Registered as std makes it: blocking.
    let (a, mut b) = UnixStream::pair().unwrap();
    let flags = rustix::fs::fcntl_getfl(&a).unwrap();
    assert!(!flags.contains(rustix::fs::OFlags::NONBLOCK));
    let outcome = within_10s(move || {
        RT.block_on(async {
            let a = RT.register(a)?;
            assert!(rustix::fs::fcntl_getfl(a.get_ref())
                .unwrap()
                .contains(rustix::fs::OFlags::NONBLOCK));
            b.write_all(b"hi").unwrap();
            let mut buf = [0u8; 2];
            // Exactly the bytes there: the second read finds it drained.
            let first = a.read_with(|s| (&*s).read(&mut buf)).await.unwrap();
            let second = RT
                .timeout(
                    Duration::from_millis(100),
                    a.read_with(|s| (&*s).read(&mut buf)),
                )
                .await;
            Ok::<_, Errno>((first, second.map(|r| r.is_ok())))
        })
    });
    assert_eq!(outcome.unwrap().unwrap(), (2, Err(Errno::TIMEDOUT)));
}

#[test]
fn a_full_runtime_hands_the_source_back() {
    use rawepoll::registry::InsertError;

    static RT: Runtime<1> = Runtime::new();
    let (a, b) = UnixStream::pair().unwrap();
    let kept = RT.register(a).map_err(|e| e.errno()).unwrap();
    match RT.register(b) {
        Err(InsertError::Full(mut b)) => {
            // Still open and whole: it can be used, and registered later.
            b.write_all(b"x").unwrap();
            let mut one = [0u8; 1];
            kept.get_ref().read_exact(&mut one).unwrap();
            assert_eq!(&one, b"x");
            drop(kept);
            let b = RT.register(b).map_err(|e| e.errno()).unwrap();
            assert!(format!("{b:?}").contains("UnixStream"));
        }
        Err(e) => panic!("expected Full, got {e:?}"),
        Ok(_) => panic!("a runtime of 1 took 2 sources"),
    }
}
