//! The async echo server on rawepoll's runtime (examples/async_echo.rs)
//! against the same server on tokio's current-thread runtime
//! (examples/echo_tokio.rs) and on smol (examples/echo_smol.rs), one thread
//! each, same workload, in one run.
//!
//! ```text
//! cargo run --release -p rawepoll-rt --features std --example async_echo_bench
//! cargo run --release -p rawepoll-rt --features std --example async_echo_bench -- --clients 32 --seconds 3 --size 64
//! ```
//!
//! `--clients` client threads (default 16) each keep one connection and do
//! request/response round trips of `--size` bytes (default 64) for
//! `--seconds` (default 2) per server, after a short warm-up. It prints
//! requests per second and the p50/p99 round-trip latency, and the ratios
//! against rawepoll measured in the same run. Each server runs on its own
//! thread, left idle once measured; the clients share the machine's cores
//! with it, alike for every server.
//!
//! `ASYNC_ECHO_BENCH_PIN=1` pins the server to CPU 0 and the clients to the
//! other CPUs, so that the server does not compete with its clients for a
//! CPU.
//!
//! Lines a script reads: `async_echo_bench server=NAME rps=R p50_us=A p99_us=B`.

#[path = "async_echo.rs"]
#[allow(dead_code)]
mod async_echo;
mod support {
    pub mod echo_load;
}
use support::echo_load;
#[path = "echo_smol.rs"]
#[allow(dead_code)]
mod echo_smol;
#[path = "echo_tokio.rs"]
#[allow(dead_code)]
mod echo_tokio;

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::process::ExitCode;
use std::thread;

use echo_load::{load, parse_args};

/// Starts `serve` on its own thread, on a fresh loopback listener; pinned
/// to CPU 0 with `pin` (the clients then run on the others).
fn start(serve: fn(TcpListener) -> io::Result<()>, pin: bool) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        if pin {
            set_cpus(&[0]);
        }
        serve(listener).unwrap()
    });
    addr
}

/// `sched_setaffinity` for the calling thread.
fn set_cpus(cpus: &[usize]) {
    let mut set = rustix::thread::CpuSet::new();
    for &c in cpus {
        set.set(c);
    }
    rustix::thread::sched_setaffinity(None, &set).unwrap();
}

fn rawepoll(listener: TcpListener) -> io::Result<()> {
    async_echo::serve(&async_echo::RUNTIME, listener, None).map(drop)
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("async_echo_bench: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "# {} clients, {}-byte round trips, {} s per server, one server thread, {} CPUs",
        o.clients,
        o.size,
        o.seconds,
        thread::available_parallelism().map_or(0, |n| n.get())
    );
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    // ASYNC_ECHO_BENCH_PIN=1: the server alone on CPU 0, the clients on
    // the others (without it, they share every CPU, and the scheduler's
    // choices between 16 client threads and the server show in the tail).
    let pin = std::env::var_os("ASYNC_ECHO_BENCH_PIN").is_some() && cpus > 1;
    println!(
        "{:<16} {:>10} {:>8} {:>8} {:>10} {:>9}",
        "server", "req/s", "p50 µs", "p99 µs", "req/s vs", "p99 vs"
    );
    type Serve = fn(TcpListener) -> io::Result<()>;
    let servers: [(&str, Serve); 3] = [
        ("rawepoll", rawepoll),
        ("tokio-current", echo_tokio::serve),
        ("smol", echo_smol::serve),
    ];
    let mut base = None;
    for (name, serve) in servers {
        let addr = start(serve, pin);
        let (rps, p50, p99) = if pin {
            // The clients on every CPU but the server's.
            let others: Vec<usize> = (1..cpus).collect();
            thread::spawn(move || {
                set_cpus(&others);
                load(addr, &o)
            })
            .join()
            .unwrap()
        } else {
            load(addr, &o)
        };
        let (b_rps, b_p99) = *base.get_or_insert((rps, p99));
        println!(
            "{name:<16} {rps:>10.0} {p50:>8.1} {p99:>8.1} {:>9.2}x {:>8.2}x",
            rps / b_rps,
            p99 / b_p99
        );
        println!("async_echo_bench server={name} rps={rps:.0} p50_us={p50:.1} p99_us={p99:.1}");
    }
    ExitCode::SUCCESS
}
