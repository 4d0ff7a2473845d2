//! Signals: SignalFd, the signal-mask calls, `pwait`, and the EINTR
//! deadline helper under a storm of signals.
//!
//! Its own `main` (harness = false): the signals are blocked before any
//! thread exists, so no thread of the test runner can take a signal meant
//! for the signalfd. Ends with the plain `N passed, N failed` line.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rawepoll::sigset::{signal_mask, unblock_signals};
use rawepoll::{
    block_signals, set_signal_mask, Deadline, Epoll, Errno, EventFd, Events, Interest, SigSet,
    Signal, SignalFd, Timeout, Token,
};

/// Signals handled by SignalFd in these tests (blocked for the whole run).
const FD_SIGNALS: SigSet = SigSet::empty().with(Signal::USR1).with(Signal::HUP);

static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_usr2(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// Installs a SIGUSR2 handler without SA_RESTART (epoll_wait is never
/// restarted anyway).
fn install_usr2_handler() {
    // SAFETY: a plain handler that only touches an atomic; sigaction is
    // given a fully initialized struct.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_usr2 as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        sa.sa_flags = 0;
        assert_eq!(libc::sigaction(libc::SIGUSR2, &sa, std::ptr::null_mut()), 0);
    }
}

fn tid() -> libc::pid_t {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() }
}

/// Sends `sig` to one thread of this process.
fn tgkill(tid: libc::pid_t, sig: i32) {
    // SAFETY: tgkill with our own pid and a live thread id.
    unsafe {
        libc::syscall(libc::SYS_tgkill, libc::getpid(), tid, sig);
    }
}

fn pending_in_proc_status() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    let field = |name: &str| {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        u64::from_str_radix(line[name.len()..].trim(), 16).unwrap()
    };
    (field("SigPnd:"), field("ShdPnd:"))
}

fn signalfd_reads_a_signal_with_its_sender() {
    let sfd = SignalFd::new(&FD_SIGNALS).unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&sfd, Token(1), Interest::READABLE).unwrap();
    let mut events = Events::<2>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);

    let me = std::process::id().to_string();
    // The shell's builtin kill: the sender is the shell itself.
    let mut kill = Command::new("sh")
        .args(["-c", &format!("kill -USR1 {me}")])
        .spawn()
        .unwrap();
    let sender = kill.id() as i32;
    assert!(kill.wait().unwrap().success());

    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(5000)).unwrap(),
        1
    );
    let info = sfd.read().unwrap().expect("SIGUSR1 pending");
    assert_eq!(info.signal(), Signal::USR1.as_raw());
    assert_eq!(info.named_signal(), Some(Signal::USR1));
    assert_eq!(info.pid(), sender, "{info:?}");
    assert_eq!(info.uid(), rustix::process::getuid().as_raw());
    assert_eq!(info.code(), 0, "SI_USER");
    // Nothing left pending, in the fd or in the kernel.
    assert_eq!(sfd.read().unwrap(), None);
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    assert_eq!(pending_in_proc_status(), (0, 0));
}

fn signalfd_coalesces_standard_signals() {
    let sfd = SignalFd::new(&FD_SIGNALS).unwrap();
    for _ in 0..3 {
        rustix::process::kill_process(rustix::process::getpid(), Signal::HUP).unwrap();
    }
    let info = sfd.read().unwrap().unwrap();
    assert_eq!(info.signal(), Signal::HUP.as_raw());
    assert_eq!(info.pid(), std::process::id() as i32);
    assert_eq!(sfd.read().unwrap(), None, "three SIGHUPs coalesce into one");
}

fn signal_mask_calls_return_the_old_mask() {
    let before = signal_mask().unwrap();
    assert!(before.contains(Signal::USR1), "blocked in main: {before:?}");
    let extra = SigSet::empty().with(Signal::WINCH);
    let old = block_signals(&extra).unwrap();
    assert_eq!(old, before);
    assert!(signal_mask().unwrap().contains(Signal::WINCH));
    let old = unblock_signals(&extra).unwrap();
    assert!(old.contains(Signal::WINCH));
    assert_eq!(signal_mask().unwrap(), before);
    let old = set_signal_mask(
        &SigSet::empty()
            .with(Signal::USR1)
            .with(Signal::HUP)
            .with(Signal::USR2),
    )
    .unwrap();
    assert_eq!(old, before);
    set_signal_mask(&before).unwrap();
    assert_eq!(signal_mask().unwrap(), before);
}

fn a_blocked_signal_does_not_interrupt_wait() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::<2>::new();
    let before = HANDLED.load(Ordering::SeqCst);
    let old = block_signals(&SigSet::empty().with(Signal::USR2)).unwrap();
    tgkill(tid(), libc::SIGUSR2);
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(20)).unwrap(),
        0
    );
    assert_eq!(HANDLED.load(Ordering::SeqCst), before);
    // Unblocking delivers it.
    set_signal_mask(&old).unwrap();
    assert_eq!(HANDLED.load(Ordering::SeqCst), before + 1);
}

fn pwait_lets_a_signal_through_only_while_waiting() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::<2>::new();
    let before = HANDLED.load(Ordering::SeqCst);
    let usr2 = SigSet::empty().with(Signal::USR2);
    let normal = block_signals(&usr2).unwrap();
    let during_wait = normal; // USR2 not in it: unblocked while waiting
                              // Sent before the wait: stays pending (blocked) until pwait unblocks it.
    tgkill(tid(), libc::SIGUSR2);
    assert_eq!(HANDLED.load(Ordering::SeqCst), before);
    let start = Instant::now();
    assert_eq!(
        epoll.pwait(&mut events, Timeout::from_millis(5000), &during_wait),
        Err(Errno::INTR)
    );
    assert!(start.elapsed() < Duration::from_millis(4000));
    assert_eq!(HANDLED.load(Ordering::SeqCst), before + 1);
    // After pwait, USR2 is blocked again.
    assert!(signal_mask().unwrap().contains(Signal::USR2));

    // Sent from another thread during the wait, with a sub-ms timeout path
    // too (epoll_pwait2 with the mask, or its fallback).
    let main_tid = tid();
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        tgkill(main_tid, libc::SIGUSR2);
    });
    let timeout = Timeout::from(Duration::from_micros(5_000_500));
    assert_eq!(
        epoll.pwait(&mut events, timeout, &during_wait),
        Err(Errno::INTR)
    );
    sender.join().unwrap();
    assert_eq!(HANDLED.load(Ordering::SeqCst), before + 2);
    set_signal_mask(&normal).unwrap();
}

/// Sends SIGUSR2 to `target` every ~100 us until stopped.
fn storm(target: libc::pid_t, stop: Arc<AtomicBool>) -> thread::JoinHandle<usize> {
    thread::spawn(move || {
        let mut sent = 0;
        while !stop.load(Ordering::SeqCst) {
            tgkill(target, libc::SIGUSR2);
            sent += 1;
            thread::sleep(Duration::from_micros(100));
        }
        sent
    })
}

fn wait_deadline_keeps_its_deadline_under_a_signal_storm() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::<2>::new();
    let stop = Arc::new(AtomicBool::new(false));
    let before = HANDLED.load(Ordering::SeqCst);
    let sender = storm(tid(), Arc::clone(&stop));
    // The plain wait is cut short by EINTR...
    let mut interrupted = false;
    for _ in 0..100 {
        if epoll.wait(&mut events, Timeout::from_millis(200)) == Err(Errno::INTR) {
            interrupted = true;
            break;
        }
    }
    assert!(interrupted, "the storm never interrupted a plain wait");
    // ...the helper is not: it returns at or after its deadline, with 0.
    for ms in [5u32, 50, 120] {
        let start = Instant::now();
        let deadline = Deadline::after(Timeout::from_millis(ms));
        assert_eq!(epoll.wait_deadline(&mut events, deadline).unwrap(), 0);
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(ms.into()),
            "{ms} ms deadline returned after {took:?}"
        );
        assert!(deadline.has_passed());
    }
    // And a real event during the storm is reported.
    let efd = Arc::new(EventFd::new().unwrap());
    epoll.add(&*efd, Token(5), Interest::READABLE).unwrap();
    let remote = Arc::clone(&efd);
    let notifier = thread::spawn(move || {
        thread::sleep(Duration::from_millis(40));
        remote.notify().unwrap();
    });
    let n = epoll
        .wait_uninterrupted(&mut events, Timeout::from_millis(10_000))
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(events.get(0).unwrap().token(), Token(5));
    notifier.join().unwrap();
    // pwait under the same storm, with USR2 blocked outside the wait.
    let normal = block_signals(&SigSet::empty().with(Signal::USR2)).unwrap();
    assert_eq!(
        epoll
            .pwait(&mut events, Timeout::from_millis(10_000), &normal)
            .unwrap(),
        1
    );
    set_signal_mask(&normal).unwrap();

    stop.store(true, Ordering::SeqCst);
    let sent = sender.join().unwrap();
    let handled = HANDLED.load(Ordering::SeqCst) - before;
    println!("storm: {sent} SIGUSR2 sent, {handled} handled");
    assert!(handled > 0);
}

/// A real-time signal (no name): SIGRTMIN + 2, as the C library numbers it.
fn rt_signal() -> i32 {
    libc::SIGRTMIN() + 2
}

fn signalfd_gives_no_name_to_a_realtime_signal() {
    let mut set = SigSet::empty();
    set.insert_raw(rt_signal()).unwrap();
    let sfd = SignalFd::new(&set).unwrap();
    tgkill(tid(), rt_signal());
    let info = sfd
        .read()
        .unwrap()
        .expect("the real-time signal is pending");
    assert_eq!(info.signal(), rt_signal());
    assert_eq!(info.named_signal(), None);
    assert_eq!(sfd.read().unwrap(), None);
}

/// `SignalFd::blocked` blocks its set before it makes the fd: SIGALRM
/// (default action: terminate), not blocked before, is read from the fd
/// and the process lives; the old mask comes back unchanged.
fn signalfd_blocked_blocks_its_set_first() {
    let before = signal_mask().unwrap();
    assert!(!before.contains(Signal::ALARM));
    let set = SigSet::empty().with(Signal::ALARM);
    let (sfd, old) = SignalFd::blocked(&set).unwrap();
    assert_eq!(old, before);
    assert!(signal_mask().unwrap().contains(Signal::ALARM));
    tgkill(tid(), libc::SIGALRM);
    let info = sfd.read().unwrap().expect("SIGALRM is pending in the fd");
    assert_eq!(info.signal(), libc::SIGALRM);
    set_signal_mask(&old).unwrap();
    assert_eq!(signal_mask().unwrap(), before);
}

fn main() -> ExitCode {
    // Before any thread: block the signalfd's signals for the whole process.
    let mut blocked = FD_SIGNALS;
    blocked.insert_raw(rt_signal()).unwrap();
    block_signals(&blocked).unwrap();
    install_usr2_handler();

    let tests: [(&str, fn()); 8] = [
        (
            "signalfd_blocked_blocks_its_set_first",
            signalfd_blocked_blocks_its_set_first,
        ),
        (
            "signalfd_gives_no_name_to_a_realtime_signal",
            signalfd_gives_no_name_to_a_realtime_signal,
        ),
        (
            "signalfd_reads_a_signal_with_its_sender",
            signalfd_reads_a_signal_with_its_sender,
        ),
        (
            "signalfd_coalesces_standard_signals",
            signalfd_coalesces_standard_signals,
        ),
        (
            "signal_mask_calls_return_the_old_mask",
            signal_mask_calls_return_the_old_mask,
        ),
        (
            "a_blocked_signal_does_not_interrupt_wait",
            a_blocked_signal_does_not_interrupt_wait,
        ),
        (
            "pwait_lets_a_signal_through_only_while_waiting",
            pwait_lets_a_signal_through_only_while_waiting,
        ),
        (
            "wait_deadline_keeps_its_deadline_under_a_signal_storm",
            wait_deadline_keeps_its_deadline_under_a_signal_storm,
        ),
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
    println!("signals: {passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
