//! The async echo server on smol (async-io's reactor, async-executor's
//! `LocalExecutor`, one thread): the second baseline of
//! examples/async_echo_bench.rs, and its static binary size in the size
//! report.
//!
//! ```text
//! cargo run --release --example echo_smol -- 0
//! ```
//!
//! The first line of output is exactly `listening on 127.0.0.1:PORT`.

use std::io::{self, ErrorKind, Write};
use std::net::TcpListener;

use smol::io::{AsyncReadExt, AsyncWriteExt};

/// Echoes on `listener` for ever: a task per connection, on one thread.
///
/// # Errors
///
/// Registering the listener.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    let ex = smol::LocalExecutor::new();
    smol::block_on(ex.run(async {
        let listener = smol::Async::new(listener)?;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            ex.spawn(async move {
                let mut stream = stream;
                let mut buf = [0u8; 2048];
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
            })
            .detach();
        }
    }))
}

#[allow(dead_code)] // when included by the bench
fn main() -> io::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        Some(p) => p
            .parse()
            .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "usage: echo_smol [PORT]"))?,
        None => 0,
    };
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    serve(listener)
}
