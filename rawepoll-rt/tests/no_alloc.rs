//! Zero heap allocations in the runtime's steady state: a counting global
//! allocator watches the test thread while tasks register sources, sleep,
//! read and write under timeouts, and wake each other.
// std's I/O errors through read_with/write_with: the `std` feature
// (`cargo test --all-features`, as CI and the README run it).
#![cfg(feature = "std")]

mod support {
    pub mod counting;
}
use support::counting;

use std::cell::Cell;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::pin::pin;
use std::time::Duration;

use counting::allocations_during;
use rawepoll_rt::{Runtime, TaskSet};

#[test]
fn zero_allocations_in_the_async_runtime() {
    static RT: Runtime<16> = Runtime::new();
    let mut pairs = Vec::new();
    for _ in 0..4 {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        pairs.push((a, b));
    }
    let echoed = Cell::new(0usize);
    let n = allocations_during(|| {
        // Four ping-pong pairs as tasks, each round trip after a sleep, under
        // a timeout: registration, readiness, timers, the task set, wakers.
        async fn ping(a: UnixStream, b: UnixStream, echoed: &Cell<usize>) {
            let a = RT.register(a).unwrap();
            let b = RT.register(b).unwrap();
            let mut buf = [0u8; 8];
            for i in 0..50u8 {
                RT.sleep(Duration::from_micros(100)).await.unwrap();
                a.write_with(|s| (&*s).write(&[i])).await.unwrap();
                let got = RT
                    .timeout(
                        Duration::from_secs(5),
                        b.read_with(|s| (&*s).read(&mut buf)),
                    )
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!((got, buf[0]), (1, i));
                echoed.set(echoed.get() + 1);
            }
        }
        let tasks = pin!(TaskSet::new(&RT).unwrap());
        let tasks = tasks.into_ref();
        for (a, b) in pairs.drain(..) {
            tasks
                .spawn(ping(a, b, &echoed))
                .map_err(|e| e.errno())
                .unwrap();
        }
        RT.block_on(tasks.run()).unwrap();
    });
    assert_eq!(echoed.get(), 200);
    assert_eq!(n, 0, "the async runtime allocated {n} times");
}
