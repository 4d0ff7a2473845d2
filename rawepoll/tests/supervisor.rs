//! Runs examples/supervisor.rs as a real process on `sh -c` children:
//! prefixed, multiplexed output; restarts with exponential back-off held
//! in its `TimerSet`; SIGTERM and SIGINT taken through a `SignalFd`, TERM
//! to the children through their `PidFd`s, KILL after the grace period.
//!
//! Its own `main` (no libtest harness): the binary runs itself again as the
//! supervisor, a single-threaded process whose signals the supervisor
//! blocks for its `SignalFd`, as the example's `main` would.

#[path = "../examples/supervisor.rs"]
#[allow(dead_code)]
mod supervisor;

use std::io::{BufRead, BufReader};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const AS_SUPERVISOR: &str = "RAWEPOLL_TEST_AS_SUPERVISOR";

struct Run {
    child: Child,
    lines: Receiver<(Instant, String)>,
    seen: Vec<String>,
    backlog: Vec<(Instant, String)>,
}

const PROBE: &str = "RAWEPOLL_TEST_PROBE";

/// Whether this binary can run itself again. Under qemu-user (every
/// architecture but x86 here) a foreign binary cannot exec itself without
/// binfmt_misc: the spawn fails, or the child exits 127 at once.
fn can_run_itself() -> bool {
    let out = Command::new(std::env::current_exe().unwrap())
        .env(PROBE, "1")
        .output();
    match out {
        Ok(out) if out.status.success() && out.stdout == b"probe ok\n" => true,
        _ if cfg!(any(target_arch = "x86_64", target_arch = "x86")) => {
            panic!("this test binary cannot run itself again: {out:?}")
        }
        _ => false,
    }
}

/// Starts the supervisor with these arguments; `None` (the test skipped,
/// loudly) where this binary cannot run itself again.
fn supervise(args: &[&str]) -> Option<Run> {
    if !can_run_itself() {
        println!(
            "SKIPPED: this test binary cannot run itself again (qemu-user without binfmt_misc)"
        );
        return None;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(args)
        .env(AS_SUPERVISOR, "1")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the probe ran");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    Some(Run {
        child,
        lines,
        seen: Vec::new(),
        backlog: Vec::new(),
    })
}

impl Run {
    /// The earliest line not yet taken that contains `text`, and when it
    /// came. Lines of different children may come in either order: those
    /// passed over wait in `backlog` for a later call.
    fn expect(&mut self, text: &str) -> (Instant, String) {
        if let Some(i) = self.backlog.iter().position(|(_, l)| l.contains(text)) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((at, line)) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return (at, line);
                    }
                    self.backlog.push((at, line));
                }
                Err(_) => panic!(
                    "no line with {text:?} in 10 s; output so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the supervisor to exit; its exit code and the rest of
    /// its output.
    fn finish(mut self) -> (i32, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the supervisor did not exit; output:\n{}",
                    self.seen.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        while let Ok((_, line)) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        (status.code().unwrap_or(-1), self.seen)
    }
}

fn output_is_prefixed_line_by_line_and_it_exits_when_all_are_done() {
    let Some(run) = supervise(&[
        "echo one; echo two >&2; printf 'par'; sleep 0.1; printf 'tial line\\n'; printf 'no newline'",
        "printf 'a\\nb\\n'; exit 0",
    ]) else {
        return;
    };
    let (code, lines) = run.finish();
    assert_eq!(code, 0, "{lines:#?}");
    for want in [
        "[0 out] one",
        "[0 err] two",
        "[0 out] partial line",
        "[0 out] no newline",
        "[1 out] a",
        "[1 out] b",
        "[supervisor] 0 exited with status 0",
        "[supervisor] 1 exited with status 0",
        "[supervisor] no child left",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(want)),
            "no {want:?} in {lines:#?}"
        );
    }
    // A child's exit comes after its last output; nothing restarts.
    let exited = lines
        .iter()
        .position(|l| l.starts_with("[supervisor] 0 exited"))
        .unwrap();
    let last = lines
        .iter()
        .position(|l| l == "[0 out] no newline")
        .unwrap();
    assert!(last < exited, "{lines:#?}");
    assert!(
        !lines.iter().any(|l| l.contains("restarting")),
        "{lines:#?}"
    );
}

fn a_failing_child_restarts_with_exponential_backoff() {
    let Some(mut run) = supervise(&[
        "--backoff-ms",
        "40",
        "--max-backoff-ms",
        "160",
        "echo run; exit 3",
        "exec sleep 30",
    ]) else {
        return;
    };
    // Each kind of line is taken in order: first the initial start.
    run.expect("[supervisor] 0 started");
    let mut delays = Vec::new();
    for _ in 0..5 {
        let (exited, _) = run.expect("[supervisor] 0 exited with status 3");
        let (_, line) = run.expect("[supervisor] 0 restarting in ");
        let ms: u64 = line
            .split(' ')
            .nth(4)
            .and_then(|ms| ms.parse().ok())
            .unwrap_or_else(|| panic!("{line:?}"));
        let (restarted, _) = run.expect("[supervisor] 0 started");
        // The times are when this test read the lines: allow a quarter of
        // the back-off for the reader thread being scheduled late.
        assert!(
            restarted - exited >= Duration::from_millis(ms * 3 / 4),
            "restarted after {:?}, back-off {ms} ms",
            restarted - exited
        );
        run.expect("[0 out] run");
        delays.push(ms);
    }
    assert_eq!(delays, [40, 80, 160, 160, 160]);
    run.signal("TERM");
    let (code, lines) = run.finish();
    assert_eq!(code, 0, "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("[supervisor] 1 killed by signal TERM")),
        "{lines:#?}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("[supervisor] no child left")
    );
}

fn sigterm_stops_children_with_term_then_kill_after_the_grace_period() {
    let Some(mut run) = supervise(&[
        "--grace-ms",
        "300",
        "echo ready; exec sleep 30",
        "trap '' TERM; echo ready; while :; do sleep 0.05; done",
    ]) else {
        return;
    };
    run.expect("[0 out] ready");
    run.expect("[1 out] ready");
    run.signal("TERM");
    let (stopping, _) = run.expect("[supervisor] SIGTERM: stopping");
    run.expect("[supervisor] 0 killed by signal TERM");
    let (kill, _) = run.expect("[supervisor] 1 still running: KILL");
    assert!(
        // When this test read the lines: a quarter off for its reader.
        kill - stopping >= Duration::from_millis(225),
        "KILL after {:?}",
        kill - stopping
    );
    run.expect("[supervisor] 1 killed by signal KILL");
    let (code, lines) = run.finish();
    assert_eq!(code, 0, "{lines:#?}");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("[supervisor] no child left")
    );
}

fn a_second_signal_kills_at_once() {
    let Some(mut run) = supervise(&[
        "--grace-ms",
        "20000",
        "trap '' TERM; echo ready; while :; do sleep 0.05; done",
    ]) else {
        return;
    };
    run.expect("[0 out] ready");
    let start = Instant::now();
    run.signal("INT");
    run.expect("[supervisor] SIGINT: stopping");
    run.signal("INT");
    run.expect("[supervisor] SIGINT again: KILL");
    run.expect("[supervisor] 0 killed by signal KILL");
    let (code, lines) = run.finish();
    assert_eq!(code, 0, "{lines:#?}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "waited for the grace period"
    );
}

fn bad_usage_exits_2() {
    assert!(supervisor::parse_args(Vec::<String>::new()).is_err());
    assert!(supervisor::parse_args(["--grace-ms".to_string()]).is_err());
    assert!(
        supervisor::parse_args(["--what".to_string(), "1".to_string(), "x".to_string()]).is_err()
    );
    let o = supervisor::parse_args(["--grace-ms", "7", "--", "--not-an-option"].map(String::from))
        .unwrap();
    assert_eq!(o.grace, Duration::from_millis(7));
    assert_eq!(o.commands, ["--not-an-option"]);
}

fn main() -> ExitCode {
    if std::env::var_os(PROBE).is_some() {
        println!("probe ok");
        return ExitCode::SUCCESS;
    }
    if std::env::var_os(AS_SUPERVISOR).is_some() {
        let o = supervisor::parse_args(std::env::args().skip(1)).expect("arguments");
        return match supervisor::run(&o) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("supervisor: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let tests: [(&str, fn()); 5] = [
        (
            "output_is_prefixed_line_by_line_and_it_exits_when_all_are_done",
            output_is_prefixed_line_by_line_and_it_exits_when_all_are_done,
        ),
        (
            "a_failing_child_restarts_with_exponential_backoff",
            a_failing_child_restarts_with_exponential_backoff,
        ),
        (
            "sigterm_stops_children_with_term_then_kill_after_the_grace_period",
            sigterm_stops_children_with_term_then_kill_after_the_grace_period,
        ),
        (
            "a_second_signal_kills_at_once",
            a_second_signal_kills_at_once,
        ),
        ("bad_usage_exits_2", bad_usage_exits_2),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match catch_unwind(AssertUnwindSafe(test)) {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(_) => {
                println!("test {name} ... FAILED");
                failed += 1;
            }
        }
    }
    println!("supervisor: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
