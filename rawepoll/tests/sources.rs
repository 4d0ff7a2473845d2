//! EventFd, TimerFd and PidFd against real kernel behaviour.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use rawepoll::{
    AsFd, Epoll, Errno, EventFd, Events, Interest, Pid, PidFd, Signal, Timeout, TimerFd, Token,
};

#[test]
fn eventfd_counts_add_up_across_threads() {
    const THREADS: u64 = 4;
    const EACH: u64 = 2_500;
    let efd = Arc::new(EventFd::new().unwrap());
    let epoll = Epoll::new().unwrap();
    epoll.add(&*efd, Token(0), Interest::READABLE).unwrap();
    let writers: Vec<_> = (0..THREADS)
        .map(|_| {
            let efd = Arc::clone(&efd);
            thread::spawn(move || {
                for _ in 0..EACH {
                    efd.notify().unwrap();
                }
            })
        })
        .collect();
    let mut total = 0;
    let mut events = Events::<1>::new();
    while total < THREADS * EACH {
        if epoll.wait(&mut events, Timeout::from_millis(5000)).unwrap() == 1 {
            total += efd.drain().unwrap();
        } else {
            panic!("no wake-up with {total} of {} counted", THREADS * EACH);
        }
    }
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(total + efd.drain().unwrap(), THREADS * EACH);
    assert_eq!(efd.drain().unwrap(), 0);
}

#[test]
fn eventfd_notify_on_a_full_counter_is_not_an_error() {
    let efd = EventFd::new().unwrap();
    // Bring the counter to its maximum, u64::MAX - 1.
    rustix::io::write(&efd, &(u64::MAX - 2).to_ne_bytes()).unwrap();
    efd.notify().unwrap();
    efd.notify().unwrap(); // EAGAIN from the kernel: still Ok
    assert_eq!(efd.drain().unwrap(), u64::MAX - 1);
}

#[test]
fn timer_fires_after_at_least_its_delay() {
    let epoll = Epoll::new().unwrap();
    let timer = TimerFd::new().unwrap();
    epoll.add(&timer, Token(1), Interest::READABLE).unwrap();
    assert_eq!(timer.read_expirations().unwrap(), 0);
    let delay = Duration::from_millis(30);
    let start = Instant::now();
    timer.set_after(delay).unwrap();
    let mut events = Events::<1>::new();
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(5000)).unwrap(),
        1
    );
    assert!(start.elapsed() >= delay);
    assert_eq!(timer.read_expirations().unwrap(), 1);
    // One-shot: nothing more.
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(60)).unwrap(),
        0
    );
}

#[test]
fn periodic_timer_counts_missed_expirations() {
    let timer = TimerFd::new().unwrap();
    let period = Duration::from_millis(10);
    let start = Instant::now();
    timer.set_periodic(period).unwrap();
    thread::sleep(period * 6);
    let n = timer.read_expirations().unwrap();
    let most = (start.elapsed().as_millis() / period.as_millis()) as u64;
    assert!(n >= 5 && n <= most, "{n} expirations, at most {most}");
    timer.disarm().unwrap();
    thread::sleep(period * 2);
    assert_eq!(timer.read_expirations().unwrap(), 0);
}

#[test]
fn zero_durations_never_disarm_silently() {
    let epoll = Epoll::new().unwrap();
    let timer = TimerFd::new().unwrap();
    epoll.add(&timer, Token(1), Interest::READABLE).unwrap();
    timer.set_after(Duration::ZERO).unwrap();
    let mut events = Events::<1>::new();
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(1000)).unwrap(),
        1
    );
    assert_eq!(timer.read_expirations().unwrap(), 1);
    // A zero period is refused, and the timer is left as it was.
    timer.set_periodic(Duration::from_millis(5)).unwrap();
    assert_eq!(timer.set_periodic(Duration::ZERO), Err(Errno::INVAL));
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(1000)).unwrap(),
        1
    );
    assert!(timer.read_expirations().unwrap() >= 1);
}

fn spawn_sleeper() -> (std::process::Child, Pid) {
    let child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let pid = Pid::from_raw(child.id() as i32).unwrap();
    (child, pid)
}

#[test]
fn pidfd_becomes_readable_when_the_child_exits() {
    let child = std::process::Command::new("sh")
        .args(["-c", "sleep 0.05; exit 7"])
        .spawn()
        .unwrap();
    let pidfd = PidFd::open(Pid::from_raw(child.id() as i32).unwrap()).unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&pidfd, Token(9), Interest::READABLE).unwrap();
    let mut events = Events::<1>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    assert_eq!(
        epoll
            .wait(&mut events, Timeout::from_millis(10_000))
            .unwrap(),
        1
    );
    assert_eq!(events.get(0).unwrap().token(), Token(9));
    let status = rustix::process::waitid(
        rustix::process::WaitId::PidFd(pidfd.as_fd()),
        rustix::process::WaitIdOptions::EXITED,
    )
    .unwrap()
    .unwrap();
    assert_eq!(status.exit_status(), Some(7));
    drop(child);
}

#[test]
fn pidfd_send_signal_kills_the_child() {
    let (mut child, pid) = spawn_sleeper();
    let pidfd = PidFd::open(pid).unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&pidfd, Token(1), Interest::READABLE).unwrap();
    pidfd.send_signal(Signal::KILL).unwrap();
    let mut events = Events::<1>::new();
    assert_eq!(
        epoll
            .wait(&mut events, Timeout::from_millis(10_000))
            .unwrap(),
        1
    );
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(child.wait().unwrap().signal(), Some(Signal::KILL.as_raw()));
    // Exited and reaped: the pidfd still refers to it, never to a stranger.
    assert_eq!(pidfd.send_signal(Signal::TERM), Err(Errno::SRCH));
}

#[test]
fn pidfd_open_errors() {
    // A thread that is not a thread-group leader... or simply no such pid.
    let pid = Pid::from_raw(i32::MAX - 7).unwrap();
    assert_eq!(PidFd::open(pid).err(), Some(Errno::SRCH));
}

// ---- 0.2: initial values, semaphores, clocks, exit statuses, OwnedFd ----

use rawepoll::{set_nonblocking, Clock, ExitStatus, OwnedFd, SigInfo, SignalFd};

mod support {
    pub mod children;
}
use std::os::fd::AsRawFd;
use support::children;

#[test]
fn eventfd_with_value_is_readable_at_once() {
    let efd = EventFd::with_value(5).unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&efd, Token(1), Interest::READABLE).unwrap();
    let mut events = Events::<1>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
    assert_eq!(efd.drain().unwrap(), 5);
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
}

#[test]
fn eventfd_semaphore_hands_out_one_at_a_time() {
    let sem = EventFd::semaphore(3).unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&sem, Token(1), Interest::READABLE).unwrap();
    let mut events = Events::<1>::new();
    for _ in 0..3 {
        // Readable while any permit is left, level-triggered.
        assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
        assert_eq!(sem.drain().unwrap(), 1);
    }
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    assert_eq!(sem.drain().unwrap(), 0);
    sem.notify().unwrap();
    sem.notify().unwrap();
    assert_eq!(sem.drain().unwrap(), 1);
    assert_eq!(sem.drain().unwrap(), 1);
    assert_eq!(sem.drain().unwrap(), 0);
}

#[test]
fn timerfd_on_every_clock() {
    for clock in [
        Clock::Monotonic,
        Clock::Boottime,
        Clock::Realtime,
        Clock::RealtimeAlarm,
        Clock::BoottimeAlarm,
    ] {
        let timer = match TimerFd::with_clock(clock) {
            Ok(t) => t,
            // The alarm clocks need CAP_WAKE_ALARM; exactly EPERM without.
            Err(Errno::PERM) if matches!(clock, Clock::RealtimeAlarm | Clock::BoottimeAlarm) => {
                eprintln!("{clock:?}: EPERM (no CAP_WAKE_ALARM), as documented");
                continue;
            }
            Err(e) => panic!("{clock:?}: {e}"),
        };
        let epoll = Epoll::new().unwrap();
        epoll.add(&timer, Token(1), Interest::READABLE).unwrap();
        let start = Instant::now();
        timer.set_after(Duration::from_millis(20)).unwrap();
        let left = timer.time_left().unwrap().expect("armed");
        assert!(left <= Duration::from_millis(20), "{clock:?}: {left:?}");
        let mut events = Events::<1>::new();
        assert_eq!(
            epoll.wait(&mut events, Timeout::from_millis(5000)).unwrap(),
            1,
            "{clock:?}"
        );
        assert!(start.elapsed() >= Duration::from_millis(19), "{clock:?}");
        assert_eq!(timer.read_expirations().unwrap(), 1, "{clock:?}");
        assert_eq!(
            timer.time_left().unwrap(),
            None,
            "{clock:?}: fired, one-shot"
        );
        // Absolute expiry on the clock's own scale.
        let at = clock.now() + Duration::from_millis(20);
        timer.set_at(at, Duration::ZERO).unwrap();
        assert_eq!(
            epoll.wait(&mut events, Timeout::from_millis(5000)).unwrap(),
            1,
            "{clock:?}"
        );
        assert!(
            clock.now() >= at,
            "{clock:?}: fired before its absolute expiry"
        );
        assert_eq!(timer.read_expirations().unwrap(), 1);
    }
}

#[test]
fn timerfd_initial_delay_then_interval_in_one_call() {
    let timer = TimerFd::new().unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&timer, Token(1), Interest::READABLE).unwrap();
    let start = Instant::now();
    timer
        .set(Duration::from_millis(30), Duration::from_millis(5))
        .unwrap();
    assert_eq!(timer.interval().unwrap(), Some(Duration::from_millis(5)));
    let left = timer.time_left().unwrap().unwrap();
    assert!(
        left > Duration::ZERO && left <= Duration::from_millis(30),
        "{left:?}"
    );
    let mut events = Events::<1>::new();
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(5000)).unwrap(),
        1
    );
    assert!(
        start.elapsed() >= Duration::from_millis(29),
        "{:?}",
        start.elapsed()
    );
    thread::sleep(Duration::from_millis(30));
    // The first expiry plus at least five periods of 5 ms.
    assert!(timer.read_expirations().unwrap() >= 5);
    // Zero initial: fires at once, never disarms.
    timer.set(Duration::ZERO, Duration::ZERO).unwrap();
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(5000)).unwrap(),
        1
    );
    assert_eq!(timer.read_expirations().unwrap(), 1);
    assert_eq!(timer.interval().unwrap(), None);
    // An absolute expiry in the past fires at once, too.
    timer.set_at(Duration::ZERO, Duration::ZERO).unwrap();
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(5000)).unwrap(),
        1
    );
    assert_eq!(timer.read_expirations().unwrap(), 1);
}

/// Reads the wall clock and sets it back to what it reads then: the clock
/// does not move (the step is the time between the two reads, corrected
/// with the monotonic clock), but the kernel sees it *set*.
fn set_wall_clock_to_itself() -> Result<(), Errno> {
    let r0 = Clock::Realtime.now();
    let m0 = Clock::Monotonic.now();
    let now = r0 + (Clock::Monotonic.now() - m0);
    let ts = libc::timespec {
        tv_sec: now.as_secs() as libc::time_t,
        tv_nsec: now.subsec_nanos() as _,
    };
    // SAFETY: a valid timespec the call only reads.
    if unsafe { libc::clock_settime(libc::CLOCK_REALTIME, &ts) } == 0 {
        Ok(())
    } else {
        Err(Errno::from_io_error(&std::io::Error::last_os_error()).unwrap())
    }
}

#[test]
fn realtime_timer_with_cancel_on_set_answers_ecanceled() {
    let timer = TimerFd::with_clock(Clock::Realtime).unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&timer, Token(1), Interest::READABLE).unwrap();
    let in_an_hour = Clock::Realtime.now() + Duration::from_secs(3600);
    timer
        .set_at_cancel_on_set(in_an_hour, Duration::ZERO)
        .unwrap();
    let mut events = Events::<1>::new();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
    match set_wall_clock_to_itself() {
        Ok(()) => {}
        Err(e) => {
            // Time namespaces cannot virtualize CLOCK_REALTIME, so setting
            // it needs CAP_SYS_TIME in the initial namespace.
            eprintln!("SKIPPED: clock_settime(CLOCK_REALTIME) answered {e}: no CAP_SYS_TIME");
            return;
        }
    }
    assert_eq!(
        epoll.wait(&mut events, Timeout::from_millis(5000)).unwrap(),
        1
    );
    assert_eq!(timer.read_expirations(), Err(Errno::CANCELED));
    // Re-armed, it waits again.
    timer
        .set_at_cancel_on_set(
            Clock::Realtime.now() + Duration::from_secs(3600),
            Duration::ZERO,
        )
        .unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
}

#[test]
fn pidfd_exit_status_for_exit_codes() {
    for code in [0, 1, 7, 255] {
        let (_child, pidfd) = children::sh(&format!("exit {code}"));
        assert_eq!(children::exit_of(&pidfd), ExitStatus::Exited(code));
        // Reaped: nothing left to collect.
        assert_eq!(pidfd.try_wait(), Err(Errno::CHILD));
    }
}

#[test]
fn pidfd_exit_status_for_signals() {
    let (_child, pidfd) = children::sh("sleep 30");
    assert_eq!(pidfd.try_wait().unwrap(), None, "still running");
    pidfd.send_signal(Signal::TERM).unwrap();
    assert_eq!(
        children::exit_of(&pidfd),
        ExitStatus::Signaled {
            signal: Signal::TERM.as_raw(),
            core_dumped: false
        }
    );
    let (_child, pidfd) = children::sh("kill -KILL $$");
    assert_eq!(
        children::exit_of(&pidfd),
        ExitStatus::Signaled {
            signal: Signal::KILL.as_raw(),
            core_dumped: false
        }
    );
}

#[test]
fn pidfd_try_wait_of_a_process_that_is_not_a_child_is_echild() {
    let me = PidFd::open(rustix::process::getpid()).unwrap();
    assert_eq!(me.try_wait(), Err(Errno::CHILD));
}

#[test]
fn every_fd_owner_round_trips_through_owned_fd() {
    let efd = EventFd::new().unwrap();
    let raw = efd.as_raw_fd();
    let fd: OwnedFd = efd.into();
    assert_eq!(fd.as_raw_fd(), raw);
    let efd = EventFd::from(fd);
    efd.notify().unwrap();
    assert_eq!(efd.drain().unwrap(), 1);

    let timer = TimerFd::from(OwnedFd::from(TimerFd::new().unwrap()));
    timer.set_after(Duration::from_secs(5)).unwrap();
    assert!(timer.time_left().unwrap().is_some());

    let set = rawepoll::SigSet::empty().with(Signal::USR2);
    let sfd = SignalFd::from(OwnedFd::from(SignalFd::new(&set).unwrap()));
    assert_eq!(sfd.read().unwrap(), None::<SigInfo>);

    let (_child, pidfd) = children::sh("exit 4");
    let pidfd = PidFd::from(OwnedFd::from(pidfd));
    assert_eq!(children::exit_of(&pidfd), ExitStatus::Exited(4));

    let epoll = Epoll::from(OwnedFd::from(Epoll::new().unwrap()));
    epoll.add(&efd, Token(3), Interest::READABLE).unwrap();
}

/// A pipe whose ends a child spawned by another test cannot inherit (an
/// inherited write end would keep the pipe from ever hanging up).
fn cloexec_pipe() -> (OwnedFd, OwnedFd) {
    rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap()
}

#[test]
fn set_nonblocking_turns_a_blocking_read_into_eagain() {
    let (reader, writer) = cloexec_pipe();
    let flags = rustix::fs::fcntl_getfl(&reader).unwrap();
    assert!(
        !flags.contains(rustix::fs::OFlags::NONBLOCK),
        "pipes start blocking"
    );
    set_nonblocking(&reader, true).unwrap();
    assert!(rustix::fs::fcntl_getfl(&reader)
        .unwrap()
        .contains(rustix::fs::OFlags::NONBLOCK));
    let mut buf = [0u8; 8];
    // Blocking, this read would hang the test: the edge-triggered trap.
    assert_eq!(rustix::io::read(&reader, &mut buf), Err(Errno::AGAIN));
    rustix::io::write(&writer, b"x").unwrap();
    assert_eq!(rustix::io::read(&reader, &mut buf), Ok(1));
    set_nonblocking(reader.as_fd(), false).unwrap();
    assert!(!rustix::fs::fcntl_getfl(&reader)
        .unwrap()
        .contains(rustix::fs::OFlags::NONBLOCK));
    // An fd number that is not open is EBADF, not a panic.
    // SAFETY: lent for one ioctl; no process has a million fds open here,
    // so the kernel answers EBADF without touching anything.
    let not_open = unsafe { rustix::fd::BorrowedFd::borrow_raw(1_000_000) };
    assert_eq!(set_nonblocking(not_open, true), Err(Errno::BADF));
}

#[test]
fn level_triggered_hangup_is_reported_until_deleted() {
    let (reader, writer) = cloexec_pipe();
    let epoll = Epoll::new().unwrap();
    epoll.add(&reader, Token(1), Interest::READABLE).unwrap();
    drop(writer);
    let mut events = Events::<1>::new();
    // A child that another test is spawning right now holds a copy of the
    // write end until its exec closes it (long under qemu-user): wait for
    // the hang-up rather than expect it at once.
    assert_eq!(
        epoll
            .wait(&mut events, Timeout::from_millis(10_000))
            .unwrap(),
        1
    );
    assert!(events.get(0).unwrap().is_hangup());
    for _ in 0..3 {
        // The documented spin: every wait reports the hang-up again.
        assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 1);
        assert!(events.get(0).unwrap().is_hangup());
    }
    // The documented one-line fix.
    epoll.delete(&reader).unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::ZERO).unwrap(), 0);
}

#[test]
fn result_keeps_a_second_parameter_for_other_errors() {
    #[allow(unused_imports)]
    use rawepoll::*;
    fn parse(s: &str) -> Result<u8, std::num::ParseIntError> {
        s.parse()
    }
    fn create() -> Result<Epoll> {
        Epoll::new()
    }
    assert_eq!(parse("7"), Ok(7));
    assert!(create().is_ok());
}
