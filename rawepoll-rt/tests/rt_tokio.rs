//! rawepoll-rt nested in tokio: the runtime's epoll fd in tokio's
//! `AsyncFd`, a tokio task calling `try_turn` whenever it is readable, and
//! tokio tasks awaiting rawepoll `Async` sources (their wakers are tokio's).
// std's I/O errors through read_with/write_with: the `std` feature
// (`cargo test --all-features`, as CI and the README run it).
#![cfg(feature = "std")]

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use rawepoll::Errno;
use rawepoll_rt::Runtime;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// The runtime's epoll, as tokio wants an fd: `AsRawFd`, the same number
/// and the same open file for the wrapper's whole life.
struct Nested(&'static Runtime<8>);

impl AsRawFd for Nested {
    fn as_raw_fd(&self) -> RawFd {
        self.0.epoll().unwrap().as_raw_fd()
    }
}

/// Turns the rawepoll runtime whenever tokio sees its epoll readable;
/// counts the turns that found nothing (answered "would block").
async fn drive(rt: &'static Runtime<8>) -> io::Result<()> {
    // SAFETY: tokio's contract for `register_with_interest` (tokio #8587):
    // the fd stays open, and the same open file, for the AsyncFd's whole
    // life, and `as_raw_fd` always returns it. The runtime is `'static` and
    // never closes its epoll, whose fd is made once (`Epoll`'s docs).
    let fd = unsafe { AsyncFd::register_with_interest(Nested(rt), Interest::READABLE)? };
    loop {
        let mut guard = fd.readable().await?;
        match guard.try_io(|_| rt.try_turn().map_err(io::Error::from)) {
            Ok(result) => {
                result?;
            }
            Err(_would_block) => {} // readiness cleared: wait again
        }
    }
}

#[test]
fn rawepoll_sources_awaited_by_tokio_tasks() {
    let rt: &'static Runtime<8> = Box::leak(Box::new(Runtime::new()));
    assert_eq!(rt.try_turn(), Err(Errno::AGAIN));
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let got = tokio.block_on(async {
        let driver = tokio::spawn(drive(rt));
        let (a, mut b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let a = rt.register(a).unwrap();
        let writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            b.write_all(b"from tokio's side").unwrap();
            b
        });
        let mut buf = [0u8; 64];
        // A tokio task waits on a rawepoll source: woken by try_turn.
        let n = tokio::time::timeout(
            Duration::from_secs(10),
            a.read_with(|s| (&*s).read(&mut buf)),
        )
        .await
        .expect("the rawepoll source was never woken inside tokio")
        .unwrap();
        let _b = writer.await.unwrap();
        driver.abort();
        buf[..n].to_vec()
    });
    assert_eq!(got, b"from tokio's side");
}
