//! Model-based: random sequences of add / modify / delete / write / read /
//! wait / close-after-delete over eventfds and socketpairs, with level,
//! edge, one-shot and RDHUP interest, checked after every step against a
//! model of which registrations must be reported, with which token and
//! flags. proptest shrinks a failure to a minimal sequence.
//!
//! Cases: `MODEL_CASES` (default 3000).

mod support {
    pub mod model;
}
use support::model;

use model::{Harness, Mode, Op, SLOTS};
use proptest::prelude::*;

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        Just(Mode::Level),
        Just(Mode::Edge),
        Just(Mode::Oneshot),
        Just(Mode::OneshotEdge)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let slot = 0..SLOTS;
    prop_oneof![
        2 => (slot.clone(), mode(), any::<bool>(), any::<u64>())
            .prop_map(|(slot, mode, rdhup, token)| Op::Add { slot, mode, rdhup, token }),
        2 => (slot.clone(), mode(), any::<bool>(), any::<u64>())
            .prop_map(|(slot, mode, rdhup, token)| Op::Modify { slot, mode, rdhup, token }),
        1 => slot.clone().prop_map(|slot| Op::Delete { slot }),
        3 => slot.clone().prop_map(|slot| Op::Write { slot }),
        2 => slot.clone().prop_map(|slot| Op::Read { slot }),
        1 => Harness::socket_slots().prop_map(|slot| Op::ShutdownPeer { slot }),
        1 => slot.prop_map(|slot| Op::CloseAfterDelete { slot }),
        4 => Just(Op::Wait),
    ]
}

fn cases() -> u32 {
    std::env::var("MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

#[test]
fn epoll_matches_the_model() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        // Where proptest finds tests/model.proptest-regressions: the seeds
        // of past failures, replayed before any new case.
        source_file: Some(file!()),
        ..Config::default()
    });
    let result = runner.run(&proptest::collection::vec(op(), 1..80), |ops| {
        let mut h = Harness::new();
        for op in ops {
            h.step(op);
        }
        h.step(Op::Wait);
        Ok(())
    });
    if let Err(e) = result {
        // Shows the minimal failing sequence found by shrinking.
        panic!("{e}");
    }
    println!(
        "model: {} cases, {} waits and {} events checked",
        cases(),
        model::WAITS_CHECKED.load(std::sync::atomic::Ordering::Relaxed),
        model::EVENTS_CHECKED.load(std::sync::atomic::Ordering::Relaxed)
    );
}

#[test]
fn decoded_byte_strings_run_too() {
    // The fuzzer's decoder, on a few fixed inputs.
    for data in [
        &b""[..],
        b"\x00\x01\x18\x07\x03",
        b"\xff\xfe\xfd\xfc\x00\x00\x05\x04\x2d\x04\x07",
    ] {
        let mut h = Harness::new();
        for op in model::decode(data) {
            h.step(op);
        }
    }
}
