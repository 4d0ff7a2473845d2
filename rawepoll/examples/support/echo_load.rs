//! The load of the echo benchmarks (examples/echo_bench.rs,
//! examples/async_echo_bench.rs): `--clients` client threads, each with one
//! connection, doing request/response round trips of `--size` bytes for
//! `--seconds`, after a 300 ms warm-up; every echo checked.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

/// The command line: `--clients N --seconds S --size BYTES`.
#[derive(Clone, Copy)]
pub struct Options {
    pub clients: usize,
    pub seconds: f64,
    pub size: usize,
}

pub fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        clients: 16,
        seconds: 2.0,
        size: 64,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().ok_or(format!("{a} needs a value"))?;
        let bad = |e: String| format!("{a}: {e}");
        match a.as_str() {
            "--clients" => o.clients = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--seconds" => o.seconds = v.parse().map_err(|e| bad(format!("{e}")))?,
            "--size" => o.size = v.parse().map_err(|e| bad(format!("{e}")))?,
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    o.clients = o.clients.max(1);
    o.size = o.size.clamp(1, 16 * 1024);
    Ok(o)
}

/// Round trips from `clients` threads for `seconds`: (requests per
/// second, p50 µs, p99 µs).
pub fn load(addr: SocketAddr, o: &Options) -> (f64, f64, f64) {
    let start = Arc::new(Barrier::new(o.clients + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let measuring = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..o.clients)
        .map(|c| {
            let (start, stop, measuring) = (
                Arc::clone(&start),
                Arc::clone(&stop),
                Arc::clone(&measuring),
            );
            let size = o.size;
            thread::spawn(move || {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_nodelay(true).unwrap();
                let msg: Vec<u8> = (0..size).map(|i| (i + c) as u8).collect();
                let mut back = vec![0u8; size];
                let mut lat = Vec::with_capacity(1 << 20);
                start.wait();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    s.write_all(&msg).unwrap();
                    s.read_exact(&mut back).unwrap();
                    if measuring.load(Ordering::Relaxed) {
                        lat.push(t.elapsed().as_nanos() as u32);
                    }
                }
                assert_eq!(back, msg, "echo corrupted");
                lat
            })
        })
        .collect();
    start.wait();
    thread::sleep(Duration::from_millis(300)); // warm-up
    measuring.store(true, Ordering::Relaxed);
    let t = Instant::now();
    thread::sleep(Duration::from_secs_f64(o.seconds));
    measuring.store(false, Ordering::Relaxed);
    let elapsed = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut all: Vec<u32> = threads
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_unstable();
    let pct = |p: usize| f64::from(all[(all.len() * p / 100).min(all.len() - 1)]) / 1000.0;
    (all.len() as f64 / elapsed, pct(50), pct(99))
}
