//! The fallbacks for old kernels and sandboxes, against the real kernel:
//! each scenario runs in a child process (this test binary again) that
//! installs a real seccomp filter, proves it is in force with a raw system
//! call, then uses only rawepoll's public API.
//!
//! * `linux_5_4`: `pidfd_open` with `PIDFD_NONBLOCK` answers `EINVAL` (the
//!   flag is Linux 5.10) and `epoll_pwait2` answers `ENOSYS` (5.11).
//! * `container`: `epoll_pwait2` answers `EPERM`, as the default seccomp
//!   profiles of container runtimes that predate it do.
//!
//! * `cheapest_call`: `epoll_wait` and `epoll_pwait` answer two different
//!   made-up errnos, so each wait shows which call it made: `epoll_wait`
//!   for whole milliseconds without a mask where the architecture has it,
//!   `epoll_pwait` with a mask, `epoll_pwait2` below a millisecond.
//!
//! * `signalfd_refused`: `signalfd4` answers `ENODEV`; `SignalFd::blocked`
//!   reports it and leaves the signal mask as it was.
//!
//! After each fallback, a second filter *kills* the process on the call that
//! was refused: the scenario goes on only if rawepoll remembered the answer
//! and never makes that call again.
//!
//! qemu-user refuses `PR_SET_SECCOMP` (it would filter the emulator's own
//! calls) and cannot run a foreign binary again without binfmt_misc; there,
//! and only off x86, the scenarios are skipped loudly.

use std::process::Command;
use std::time::{Duration, Instant};

use rawepoll::epoll::epoll_pwait2_available;
use rawepoll::{
    pidfd_nonblock_available, Epoll, Errno, EventFd, Events, ExitStatus, Interest, PidFd, SigSet,
    Timeout, Token,
};
use syscalls::{syscall, Sysno};

mod support {
    pub mod children;
}
use support::children;

const CHILD_ENV: &str = "RAWEPOLL_SANDBOX_SCENARIO";

// ---- a seccomp filter, in classic BPF ----

const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JSET_K: u16 = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const RET_K: u16 = 0x06; // BPF_RET | BPF_K
const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_KILL_PROCESS: u32 = 0x8000_0000;

#[repr(C)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

const fn op(code: u16, jt: u8, jf: u8, k: u32) -> SockFilter {
    SockFilter { code, jt, jf, k }
}

/// Offset of the low 32 bits of `args[i]` in `struct seccomp_data`.
const fn arg_low(i: u32) -> u32 {
    16 + 8 * i + if cfg!(target_endian = "big") { 4 } else { 0 }
}

/// What the filter answers.
#[derive(Clone, Copy)]
enum Action {
    Errno(Errno),
    Kill,
}

/// Installs a filter: system call `nr` (only when `args[arg] & mask != 0`,
/// if given) gets `action`; everything else is allowed.
fn install(nr: Sysno, flag: Option<(u32, u32)>, action: Action) -> Result<(), Errno> {
    let ret = match action {
        Action::Errno(e) => RET_ERRNO | e.raw_os_error() as u32,
        Action::Kill => RET_KILL_PROCESS,
    };
    let mut prog = vec![op(LD_W_ABS, 0, 0, 0)];
    match flag {
        None => prog.push(op(JEQ_K, 0, 1, nr.id() as u32)),
        Some((arg, mask)) => {
            prog.push(op(JEQ_K, 0, 3, nr.id() as u32));
            prog.push(op(LD_W_ABS, 0, 0, arg_low(arg)));
            prog.push(op(JSET_K, 0, 1, mask));
        }
    }
    prog.push(op(RET_K, 0, 0, ret));
    prog.push(op(RET_K, 0, 0, RET_ALLOW));
    let fprog = SockFprog {
        len: prog.len() as u16,
        filter: prog.as_ptr(),
    };
    let raw = |e: syscalls::Errno| Errno::from_raw_os_error(e.into_raw());
    // SAFETY: prctl(PR_SET_NO_NEW_PRIVS, 1) touches no memory of ours.
    unsafe {
        syscall!(Sysno::prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0)
    }
    .map_err(raw)?;
    // SAFETY: `fprog` points to `prog`, both alive for the call; the kernel
    // copies the program.
    unsafe {
        syscall!(
            Sysno::prctl,
            22, /* PR_SET_SECCOMP */
            2,  /* SECCOMP_MODE_FILTER */
            &fprog as *const SockFprog as usize
        )
    }
    .map_err(raw)?;
    Ok(())
}

/// A system call, the argument bits that select it (`(index, mask)`), and
/// what the filter answers.
type Rule = (Sysno, Option<(u32, u32)>, Action);

/// Installs the filters, or says why the scenario cannot run here.
fn install_or_skip(filters: &[Rule]) -> bool {
    for &(nr, flag, action) in filters {
        if let Err(e) = install(nr, flag, action) {
            if cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
                panic!("seccomp filter refused natively: {e}");
            }
            println!("SKIPPED: seccomp refused ({e}): qemu-user does not let a guest filter");
            return false;
        }
    }
    true
}

/// `PIDFD_NONBLOCK` is `O_NONBLOCK`.
fn o_nonblock() -> u32 {
    rustix::fs::OFlags::NONBLOCK.bits()
}

// ---- raw proofs that a filter is in force ----

fn raw_pidfd_open(flags: u32) -> Result<(), Errno> {
    // SAFETY: pidfd_open reads no memory; a returned fd is closed at once.
    let fd = unsafe {
        syscall!(
            Sysno::pidfd_open,
            std::process::id() as usize,
            flags as usize
        )
    }
    .map_err(|e| Errno::from_raw_os_error(e.into_raw()))?;
    // SAFETY: the fd was just returned to us and nothing else owns it.
    drop(unsafe { <rustix::fd::OwnedFd as rustix::fd::FromRawFd>::from_raw_fd(fd as i32) });
    Ok(())
}

fn raw_epoll_pwait2() -> Result<(), Errno> {
    // Arguments that would answer EBADF if the call ran: fd -1, no buffer.
    // SAFETY: the kernel reads nothing before checking the fd.
    unsafe { syscall!(Sysno::epoll_pwait2, usize::MAX, 0, 1, 0, 0, 8) }
        .map(drop)
        .map_err(|e| Errno::from_raw_os_error(e.into_raw()))
}

// ---- the public API under the filters ----

const SUB_MS: Duration = Duration::from_micros(300);

/// A sub-millisecond wait falls back to whole milliseconds, still reports
/// events, and works with a signal mask too.
fn sub_millisecond_waits_fall_back() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::<4>::new();
    let t = Instant::now();
    assert_eq!(epoll.wait(&mut events, Timeout::from(SUB_MS)), Ok(0));
    assert!(t.elapsed() >= Duration::from_millis(1), "{:?}", t.elapsed());
    assert_eq!(epoll_pwait2_available(), Some(false));
    let mask = SigSet::empty();
    assert_eq!(
        epoll.pwait(&mut events, Timeout::from(SUB_MS), &mask),
        Ok(0)
    );
    let efd = EventFd::new().unwrap();
    epoll.add(&efd, Token(5), Interest::READABLE).unwrap();
    efd.notify().unwrap();
    assert_eq!(epoll.wait(&mut events, Timeout::from(SUB_MS)), Ok(1));
    assert_eq!(events.get(0).unwrap().token(), Token(5));
}

fn scenario_linux_5_4() {
    let pidfd_nonblock = (
        Sysno::pidfd_open,
        Some((1, o_nonblock())),
        Action::Errno(Errno::INVAL),
    );
    let no_pwait2 = (Sysno::epoll_pwait2, None, Action::Errno(Errno::NOSYS));
    if !install_or_skip(&[pidfd_nonblock, no_pwait2]) {
        return;
    }
    // The filters are in force.
    assert_eq!(raw_pidfd_open(o_nonblock()), Err(Errno::INVAL));
    assert_eq!(raw_pidfd_open(0), Ok(()));
    assert_eq!(raw_epoll_pwait2(), Err(Errno::NOSYS));

    // PidFd::open retries without the flag and remembers.
    assert_eq!(pidfd_nonblock_available(), None);
    let (_child, pidfd) = children::sh("exit 9");
    assert_eq!(pidfd_nonblock_available(), Some(false));
    let flags = rustix::fs::fcntl_getfl(&pidfd).unwrap();
    assert!(
        !flags.contains(rustix::fs::OFlags::NONBLOCK),
        "opened without the flag"
    );
    assert_eq!(children::exit_of(&pidfd), ExitStatus::Exited(9));

    sub_millisecond_waits_fall_back();

    // From now on, the refused calls kill the process: rawepoll must not
    // make them again.
    install_or_skip(&[
        (Sysno::pidfd_open, Some((1, o_nonblock())), Action::Kill),
        (Sysno::epoll_pwait2, None, Action::Kill),
    ]);
    let (_child, pidfd) = children::sh("exit 3");
    assert_eq!(children::exit_of(&pidfd), ExitStatus::Exited(3));
    sub_millisecond_waits_fall_back();
    println!("scenario passed");
}

fn scenario_container() {
    // Before any filter: the EINVAL that kernels before 6.9 answer for a
    // pid that is not a thread-group leader must not be taken for "no
    // PIDFD_NONBLOCK".
    let (tx, rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        tx.send(rustix::thread::gettid()).unwrap();
        done_rx.recv().unwrap();
    });
    let tid = rx.recv().unwrap();
    // EINVAL before Linux 6.9, ENOENT since (pidfd_open(2)).
    let refused = PidFd::open(tid).err();
    assert!(
        matches!(refused, Some(Errno::INVAL | Errno::NOENT)),
        "{refused:?}"
    );
    assert_ne!(
        pidfd_nonblock_available(),
        Some(false),
        "a non-leader is not an old kernel"
    );
    done_tx.send(()).unwrap();
    thread.join().unwrap();

    if !install_or_skip(&[(Sysno::epoll_pwait2, None, Action::Errno(Errno::PERM))]) {
        return;
    }
    assert_eq!(raw_epoll_pwait2(), Err(Errno::PERM));
    assert_eq!(epoll_pwait2_available(), None);
    sub_millisecond_waits_fall_back();
    install_or_skip(&[(Sysno::epoll_pwait2, None, Action::Kill)]);
    sub_millisecond_waits_fall_back();

    // pidfd_open is not filtered here: the flag is used.
    let (_child, pidfd) = children::sh("exit 0");
    assert_eq!(pidfd_nonblock_available(), Some(true));
    assert_eq!(children::exit_of(&pidfd), ExitStatus::Exited(0));
    println!("scenario passed");
}

/// The architectures whose kernel has `epoll_wait` (as rawepoll's build
/// script lists them).
const HAS_EPOLL_WAIT: bool = cfg!(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "arm",
    target_arch = "s390x",
    target_arch = "powerpc64"
));

fn scenario_cheapest_call() {
    // Errnos neither call can answer of its own.
    const FROM_WAIT: Errno = Errno::HWPOISON;
    const FROM_PWAIT: Errno = Errno::NOTUNIQ;
    #[allow(unused_mut, reason = "nothing to add where epoll_wait is missing")]
    let mut rules = vec![(Sysno::epoll_pwait, None, Action::Errno(FROM_PWAIT))];
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "arm",
        target_arch = "s390x",
        target_arch = "powerpc64"
    ))]
    rules.push((Sysno::epoll_wait, None, Action::Errno(FROM_WAIT)));
    if !install_or_skip(&rules) {
        return;
    }
    let plain = if HAS_EPOLL_WAIT {
        FROM_WAIT
    } else {
        FROM_PWAIT
    };
    let epoll = Epoll::new().unwrap();
    let mut events = Events::<4>::new();
    for timeout in [Timeout::ZERO, Timeout::from_millis(5), Timeout::NEVER] {
        assert_eq!(epoll.wait(&mut events, timeout), Err(plain), "{timeout:?}");
        let mut buf = [std::mem::MaybeUninit::uninit(); 4];
        assert_eq!(epoll.wait_slice(&mut buf, timeout).err(), Some(plain));
        let mask = SigSet::empty();
        assert_eq!(
            epoll.pwait(&mut events, timeout, &mask),
            Err(FROM_PWAIT),
            "a mask needs epoll_pwait"
        );
    }
    // Below a millisecond: epoll_pwait2, which is not filtered.
    assert_eq!(epoll.wait(&mut events, Timeout::from(SUB_MS)), Ok(0));
    assert_eq!(epoll_pwait2_available(), Some(true));
    println!("scenario passed");
}

/// `SignalFd::blocked` changes nothing when `signalfd4` is refused: the
/// error comes back and the mask is as before (a container profile that
/// denies the call, or an fd limit).
fn scenario_signalfd_refused() {
    if !install_or_skip(&[(Sysno::signalfd4, None, Action::Errno(Errno::NODEV))]) {
        return;
    }
    let before = rawepoll::sigset::signal_mask().unwrap();
    let set = SigSet::empty().with(rawepoll::Signal::ALARM);
    assert!(!before.contains(rawepoll::Signal::ALARM));
    assert_eq!(rawepoll::SignalFd::blocked(&set).err(), Some(Errno::NODEV));
    assert_eq!(rawepoll::sigset::signal_mask().unwrap(), before);
    println!("scenario passed");
}

/// Runs `name` in a fresh child process (fresh process-wide state, filters
/// that die with it) and checks that it passed.
fn run_in_child(name: &str, scenario: fn()) {
    if std::env::var_os(CHILD_ENV).is_some() {
        scenario();
        return;
    }
    let native = cfg!(any(target_arch = "x86_64", target_arch = "x86"));
    let out = match Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .output()
    {
        Ok(out) => out,
        Err(e) if !native => {
            println!("SKIPPED: cannot run this test binary again ({e}): qemu-user");
            return;
        }
        Err(e) => panic!("cannot run this test binary again: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Under qemu-user (here: every architecture but x86) a foreign binary
    // cannot exec itself without binfmt_misc: the child never starts.
    if !native && !stdout.contains("running 1 test") {
        println!("SKIPPED: the test binary could not run itself again (qemu-user): {stderr}");
        return;
    }
    assert!(
        out.status.success(),
        "{name} failed ({:?}): a signal 31 (SIGSYS) means rawepoll made a call it had \
         learned was refused\n{stdout}\n{stderr}",
        out.status
    );
    print!("{stdout}");
    assert!(
        stdout.contains("scenario passed") || stdout.contains("SKIPPED"),
        "{name}: the scenario did not run\n{stdout}\n{stderr}"
    );
}

#[test]
fn linux_5_4() {
    run_in_child("linux_5_4", scenario_linux_5_4);
}

#[test]
fn container() {
    run_in_child("container", scenario_container);
}

#[test]
fn cheapest_call() {
    run_in_child("cheapest_call", scenario_cheapest_call);
}

#[test]
fn signalfd_refused() {
    run_in_child("signalfd_refused", scenario_signalfd_refused);
}
