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
