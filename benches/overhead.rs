//! Does rawepoll cost anything over calling rustix's epoll directly?
//!
//! `cargo bench --bench overhead` runs, interleaved in one process (A B A B
//! rounds, order rotating), each case's batch of calls, and prints the median
//! ns per call with the min–max spread and the ratio of rawepoll to the
//! direct rustix call measured in the same rounds. A ratio of 1.00 means
//! the wrapper is free.

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::Instant;

use rawepoll::{Epoll, EventFd, Events, Interest, Timeout, Token};
use rustix::event::epoll;

const ROUNDS: usize = 31;
const BATCH: u32 = 20_000;

type Case<'a> = (&'a str, Box<dyn FnMut() + 'a>);

fn measure(cases: &mut [Case<'_>]) -> Vec<Vec<f64>> {
    let mut samples = vec![Vec::with_capacity(ROUNDS); cases.len()];
    for (_, f) in cases.iter_mut() {
        for _ in 0..BATCH / 10 {
            f(); // warm up
        }
    }
    for round in 0..ROUNDS {
        for k in 0..cases.len() {
            let i = (k + round) % cases.len();
            let f = &mut cases[i].1;
            let start = Instant::now();
            for _ in 0..BATCH {
                f();
            }
            samples[i].push(start.elapsed().as_nanos() as f64 / f64::from(BATCH));
        }
    }
    for s in &mut samples {
        s.sort_by(f64::total_cmp);
    }
    samples
}

fn report(title: &str, cases: &mut [Case<'_>]) {
    let samples = measure(cases);
    let median = |s: &Vec<f64>| s[s.len() / 2];
    let baseline = median(&samples[samples.len() - 1]);
    println!("\n{title}");
    for ((name, _), s) in cases.iter().zip(&samples) {
        println!(
            "  {name:<28} {:>8.1} ns/op  (min {:.1}, max {:.1})  ratio to rustix {:.2}",
            median(s),
            s[0],
            s[s.len() - 1],
            median(s) / baseline
        );
    }
}

fn main() {
    let ep = Epoll::new().unwrap();
    let efd = EventFd::new().unwrap();
    ep.add(&efd, Token(1), Interest::READABLE).unwrap();
    efd.notify().unwrap();

    let mut events = Events::<64>::new();
    let mut raw = [MaybeUninit::<epoll::Event>::uninit(); 64];
    report(
        "epoll_wait, timeout 0, 1 ready level-triggered eventfd",
        &mut [
            (
                "rawepoll Epoll::wait",
                Box::new(|| {
                    black_box(ep.wait(&mut events, Timeout::ZERO).unwrap());
                }),
            ),
            (
                "rustix epoll::wait (baseline)",
                Box::new(|| {
                    let zero = rustix::event::Timespec {
                        tv_sec: 0,
                        tv_nsec: 0,
                    };
                    let (ready, _) = epoll::wait(&ep, &mut raw, Some(&zero)).unwrap();
                    black_box(ready.len());
                }),
            ),
        ],
    );

    report(
        "epoll_ctl MOD",
        &mut [
            (
                "rawepoll Epoll::modify",
                Box::new(|| {
                    ep.modify(&efd, Token(1), Interest::READABLE).unwrap();
                }),
            ),
            (
                "rustix epoll::modify (baseline)",
                Box::new(|| {
                    epoll::modify(
                        &ep,
                        &efd,
                        epoll::EventData::new_u64(1),
                        epoll::EventFlags::IN,
                    )
                    .unwrap();
                }),
            ),
        ],
    );
}
