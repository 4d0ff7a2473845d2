//! The async echo server on tokio's current-thread runtime: the baseline
//! that examples/async_echo_bench.rs measures rawepoll's runtime against,
//! and whose static binary size the size report lists.
//!
//! ```text
//! cargo run --release --example echo_tokio -- 0
//! ```
//!
//! The first line of output is exactly `listening on 127.0.0.1:PORT`.

use std::io::{self, ErrorKind, Write};
use std::net::TcpListener;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Echoes on `listener` for ever: a task per connection, on one thread.
///
/// # Errors
///
/// Building the runtime or registering the listener.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::task::spawn_local(async move {
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
            });
        }
    })
}

#[allow(dead_code)] // when included by the bench
fn main() -> io::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        Some(p) => p
            .parse()
            .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "usage: echo_tokio [PORT]"))?,
        None => 0,
    };
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    serve(listener)
}
