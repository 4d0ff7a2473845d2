//! `reap_any`: every exited child, with its pid and status, and as a child
//! subreaper the orphans of its descendants too, whoever their parent was:
//! no zombie left. Its own test binary (one test): it reaps every child of
//! the process, which would take other tests' children.
#![allow(
    clippy::zombie_processes,
    reason = "the children are reaped by reap_any, which is what this checks"
)]

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use rawepoll::{reap_any, ExitStatus};

/// Reaps until `want` children were reaped or 10 s passed.
fn reap(want: usize) -> Vec<(u32, ExitStatus)> {
    let start = Instant::now();
    let mut got = Vec::new();
    while got.len() < want && start.elapsed() < Duration::from_secs(10) {
        match reap_any().unwrap() {
            Some((pid, status)) => got.push((pid.as_raw_nonzero().get() as u32, status)),
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    }
    got
}

#[test]
fn reaps_children_and_a_subreapers_orphans() {
    // Nothing to reap yet: ECHILD is None, not an error.
    assert_eq!(reap_any(), Ok(None));

    let mut expected = HashMap::new();
    for code in [1, 2, 3] {
        let child = Command::new("sh")
            .args(["-c", &format!("exit {code}")])
            .spawn()
            .unwrap();
        expected.insert(child.id(), ExitStatus::Exited(code));
    }
    let killed = Command::new("sleep").arg("10").spawn().unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&killed),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    expected.insert(
        killed.id(),
        ExitStatus::Signaled {
            signal: 9,
            core_dumped: false,
        },
    );
    let got: HashMap<u32, ExitStatus> = reap(4).into_iter().collect();
    assert_eq!(got, expected);
    assert_eq!(reap_any(), Ok(None));

    // As a subreaper: the grandchild orphaned by its parent's exit is ours
    // to reap (exit 7), and so is the parent (exit 0).
    if rustix::process::set_child_subreaper(Some(rustix::process::getpid())).is_err() {
        println!("SKIPPED: PR_SET_CHILD_SUBREAPER refused here (qemu-user)");
        return;
    }
    let parent = Command::new("sh")
        .args(["-c", "(sleep 0.2; exit 7) & exit 0"])
        .spawn()
        .unwrap();
    let got = reap(2);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got.contains(&(parent.id(), ExitStatus::Exited(0))),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|&(pid, s)| pid != parent.id() && s == ExitStatus::Exited(7)),
        "the orphan was reaped: {got:?}"
    );
    assert_eq!(reap_any(), Ok(None), "no zombie left");
}
