//! Drives the model of tests/support/model.rs from fuzzer bytes: any
//! sequence of epoll operations on eventfds and socketpairs must behave as
//! the model says, with no panic, no leak and no lost or invented event.
//!
//! cargo +nightly fuzz run ops -- -max_total_time=60
#![no_main]

#[path = "../../rawepoll/tests/support/model.rs"]
#[allow(dead_code)]
mod model;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Bounded: long inputs would only repeat the same states.
    let data = &data[..data.len().min(512)];
    let mut harness = model::Harness::new();
    for op in model::decode(data) {
        harness.step(op);
    }
});
