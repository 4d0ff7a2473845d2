//! `Async` through the no_std ecosystem's async I/O traits
//! (embedded-io-async): a protocol written only against `Read` and `Write`,
//! using the trait crate's own `read_exact` and `write_all`, runs on a
//! rawepoll-rt socket pair, 64 KiB each way in odd-sized pieces.

use std::os::unix::net::UnixStream;

use embedded_io_async::{Error, ErrorKind, Read, ReadExactError, Write};
use rawepoll_rt::{join, Runtime};

/// A length-prefixed echo, knowing nothing of rawepoll: reads frames with
/// `read_exact` and answers each with `write_all` (both the trait
/// crate's), until a zero-length frame.
async fn echo_frames<T: Read + Write>(io: &mut T) -> Result<usize, T::Error> {
    let mut frames = 0;
    loop {
        let mut len = [0u8; 2];
        match io.read_exact(&mut len).await {
            Ok(()) => {}
            Err(ReadExactError::Other(e)) => return Err(e),
            Err(ReadExactError::UnexpectedEof) => panic!("unexpected end of file"),
        }
        let len = u16::from_be_bytes(len) as usize;
        if len == 0 {
            return Ok(frames);
        }
        let mut frame = vec![0u8; len];
        io.read_exact(&mut frame).await.map_err(|e| match e {
            ReadExactError::Other(e) => e,
            ReadExactError::UnexpectedEof => panic!("unexpected end of file"),
        })?;
        io.write_all(&frame).await?;
        io.flush().await?;
        frames += 1;
    }
}

/// The other side, also written against the traits only.
async fn send_frames<T: Read + Write>(io: &mut T, sizes: &[usize]) -> Result<Vec<u8>, T::Error> {
    let mut back = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let frame: Vec<u8> = (0..size).map(|j| (i * 7 + j) as u8).collect();
        io.write_all(&(size as u16).to_be_bytes()).await?;
        io.write_all(&frame).await?;
        let mut echoed = vec![0u8; size];
        io.read_exact(&mut echoed).await.map_err(|e| match e {
            ReadExactError::Other(e) => e,
            ReadExactError::UnexpectedEof => panic!("unexpected end of file"),
        })?;
        back.extend_from_slice(&echoed);
    }
    io.write_all(&0u16.to_be_bytes()).await?;
    Ok(back)
}

#[test]
fn a_protocol_written_against_embedded_io_async_runs_on_async_sockets() {
    static RT: Runtime<4> = Runtime::new();
    let (a, b) = UnixStream::pair().unwrap();
    let sizes: Vec<usize> = (0..64).map(|i| 1 + (i * 997) % 2048).collect();
    let (echoed, sent) = RT
        .block_on(async {
            let mut a = RT.register(a).unwrap();
            let mut b = RT.register(b).unwrap();
            join(echo_frames(&mut a), send_frames(&mut b, &sizes)).await
        })
        .unwrap();
    assert_eq!(echoed.unwrap(), 64);
    let sent = sent.unwrap();
    let expected: Vec<u8> = sizes
        .iter()
        .enumerate()
        .flat_map(|(i, &size)| (0..size).map(move |j| (i * 7 + j) as u8))
        .collect();
    assert_eq!(sent, expected);
}

#[test]
fn errors_come_back_with_their_kind() {
    static RT: Runtime<4> = Runtime::new();
    let (a, b) = UnixStream::pair().unwrap();
    drop(b);
    let err = RT
        .block_on(async {
            let mut a = RT.register(a).unwrap();
            // The peer is gone: EPIPE (std ignores SIGPIPE in tests).
            a.write_all(b"nobody").await
        })
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    assert_eq!(rawepoll::Errno::from(err), rawepoll::Errno::PIPE);
}

/// With std: futures-io's `AsyncRead`/`AsyncWrite`, driven by
/// futures-lite's extension methods (through smol, a crate not ours), on
/// this runtime: a 64 KiB copy through a socket pair, every byte in order.
#[cfg(feature = "std")]
#[test]
fn futures_io_code_copies_through_async_sockets() {
    use smol::io::{AsyncReadExt, AsyncWriteExt};

    static RT: Runtime<4> = Runtime::new();
    let (a, b) = UnixStream::pair().unwrap();
    let data: Vec<u8> = (0..65536u32).map(|i| (i * 31 % 251) as u8).collect();
    let (written, read) = RT
        .block_on(async {
            let mut a = RT.register(a).unwrap();
            let mut b = RT.register(b).unwrap();
            join(
                async {
                    for chunk in data.chunks(1000) {
                        AsyncWriteExt::write_all(&mut a, chunk).await?;
                    }
                    AsyncWriteExt::close(&mut a).await?;
                    drop(a); // the peer sees end of file
                    Ok::<_, std::io::Error>(data.len())
                },
                async {
                    let mut all = Vec::new();
                    AsyncReadExt::read_to_end(&mut b, &mut all).await?;
                    Ok::<_, std::io::Error>(all)
                },
            )
            .await
        })
        .unwrap();
    assert_eq!(written.unwrap(), 65536);
    assert_eq!(read.unwrap(), data);
}
