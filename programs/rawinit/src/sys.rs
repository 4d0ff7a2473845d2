//! The system calls rustix keeps private (fork, execve, kill with a raw
//! signal number, rt_sigaction, chdir), made through the `syscalls` crate: the same
//! reviewed raw-syscall crate rawepoll's own `src/sys.rs` uses. Each call
//! has its SAFETY comment; nothing else in rawinit makes raw system calls
//! but `exit_group`, which is rawepoll-start's `exit`.

use rawepoll::Errno;
use syscalls::Sysno;

fn errno(e: syscalls::Errno) -> Errno {
    Errno::from_raw_os_error(e.into_raw())
}

/// What `fork` returned.
pub enum Forked {
    Parent(i32),
    Child,
}

/// `clone(SIGCHLD, 0, 0, 0, 0)`: fork, with SIGCHLD on the child's exit.
pub fn fork() -> Result<Forked, Errno> {
    const SIGCHLD: usize = 17;
    // SAFETY: a plain fork: no shared memory, no new stack, no TLS; the
    // child continues on a copy of this single-threaded process's memory.
    let pid = unsafe { syscalls::syscall5(Sysno::clone, SIGCHLD, 0, 0, 0, 0) }.map_err(errno)?;
    Ok(if pid == 0 {
        Forked::Child
    } else {
        Forked::Parent(pid as i32)
    })
}

/// `execve(path, argv, envp)`; returns only on failure.
///
/// `path` must end with a NUL byte; `argv` and `envp` are the NULL-ended
/// arrays of NUL-terminated strings the kernel gave this process.
pub fn execve(path: &[u8], argv: *const *const u8, envp: *const *const u8) -> Errno {
    if path.last() != Some(&0) {
        return Errno::INVAL;
    }
    // SAFETY: `path` is NUL-terminated (checked above); `argv` and `envp`
    // point into the argument and environment arrays the kernel laid out at
    // start-up, NULL-terminated and never modified. The kernel only reads.
    match unsafe {
        syscalls::syscall3(
            Sysno::execve,
            path.as_ptr() as usize,
            argv as usize,
            envp as usize,
        )
    } {
        Ok(_) => Errno::INVAL, // unreachable: a successful execve does not return
        Err(e) => errno(e),
    }
}

/// `kill(pid, sig)` with a raw signal number (real-time signals have no
/// rustix constant). A negative `pid` is a process group.
pub fn kill(pid: i32, sig: i32) -> Result<(), Errno> {
    // SAFETY: kill reads no memory of ours.
    unsafe { syscalls::syscall2(Sysno::kill, pid as isize as usize, sig as usize) }
        .map(drop)
        .map_err(errno)
}

/// `prctl(PR_SET_PDEATHSIG, sig)`: `sig` for rawinit when its parent dies.
/// (Here rather than through rustix: its prctl path pulls aarch64's
/// compiler-builtins CPU-feature probe, which wants libc's `getauxval`.)
pub fn set_parent_death_signal(sig: i32) -> Result<(), Errno> {
    let op = linux_raw_sys::prctl::PR_SET_PDEATHSIG as usize;
    // SAFETY: PR_SET_PDEATHSIG takes a signal number and reads no memory.
    unsafe { syscalls::syscall2(Sysno::prctl, op, sig as usize) }
        .map(drop)
        .map_err(errno)
}

/// `chdir("/")`. (rustix has `chdir` only with its `fs` feature.)
pub fn chdir_root() -> Result<(), Errno> {
    // SAFETY: the path is a NUL-terminated static string the kernel only
    // reads.
    unsafe { syscalls::syscall1(Sysno::chdir, c"/".as_ptr() as usize) }
        .map(drop)
        .map_err(errno)
}

/// The kernel's `struct sigaction` for `rt_sigaction` (its layout differs
/// by architecture: linux-raw-sys has each).
pub type SigAction = linux_raw_sys::general::kernel_sigaction;

/// `rt_sigaction(sig, new, old, sizeof(sigset_t))`.
fn rt_sigaction(
    sig: i32,
    new: Option<&SigAction>,
    old: Option<&mut SigAction>,
) -> Result<(), Errno> {
    let new = new.map_or(0, |n| core::ptr::from_ref(n) as usize);
    let old = old.map_or(0, |o| core::ptr::from_mut(o) as usize);
    // SAFETY: `new`, when not NULL, points to a live SigAction the kernel
    // only reads; `old`, when not NULL, to one it writes in full; both have
    // the kernel's layout for this architecture (linux-raw-sys), and the
    // mask size is that of its `kernel_sigset_t`.
    unsafe {
        syscalls::syscall4(
            Sysno::rt_sigaction,
            sig as usize,
            new,
            old,
            core::mem::size_of::<linux_raw_sys::general::kernel_sigset_t>(),
        )
    }
    .map(drop)
    .map_err(errno)
}

/// Sets `sig` to its default action and returns the action it had.
pub fn set_default_action(sig: i32) -> Result<SigAction, Errno> {
    // SAFETY: all-zero is a valid kernel_sigaction: handler SIG_DFL (a
    // `None` function pointer), no flags, no restorer, an empty mask.
    let default: SigAction = unsafe { core::mem::zeroed() };
    let mut old = default;
    rt_sigaction(sig, Some(&default), Some(&mut old))?;
    Ok(old)
}

/// Puts back an action read by [`set_default_action`].
pub fn restore_action(sig: i32, action: &SigAction) -> Result<(), Errno> {
    rt_sigaction(sig, Some(action), None)
}

/// `openat(AT_FDCWD, path, flags | O_CLOEXEC)`; `path` must end with a NUL
/// byte. The fd is returned raw: the caller decides whether to close it.
pub fn open(path: &[u8], flags: u32) -> Result<i32, Errno> {
    use linux_raw_sys::general::{AT_FDCWD, O_CLOEXEC};
    if path.last() != Some(&0) {
        return Err(Errno::INVAL);
    }
    // SAFETY: `path` is NUL-terminated (checked above) and the kernel only
    // reads it; the other arguments are numbers.
    unsafe {
        syscalls::syscall3(
            Sysno::openat,
            AT_FDCWD as isize as usize,
            path.as_ptr() as usize,
            (flags | O_CLOEXEC) as usize,
        )
    }
    .map(|fd| fd as i32)
    .map_err(errno)
}

/// `close(fd)`, best effort.
pub fn close(fd: i32) {
    // SAFETY: closes a raw fd the caller owns and uses no more.
    let _ = unsafe { syscalls::syscall1(Sysno::close, fd as usize) };
}

/// `dup3(old, new, 0)`: `new` becomes a copy of `old` (not close-on-exec);
/// nothing to do when they are the same fd.
pub fn dup_to(old: i32, new: i32) -> Result<(), Errno> {
    if old == new {
        return Ok(());
    }
    // SAFETY: dup3 reads no memory; `new` is replaced, which is the point.
    unsafe { syscalls::syscall3(Sysno::dup3, old as usize, new as usize, 0) }
        .map(drop)
        .map_err(errno)
}

/// `ioctl(fd, request, arg)` with an integer argument or none.
fn ioctl_int(fd: i32, request: u32, arg: usize) -> Result<usize, Errno> {
    // SAFETY: only requests that take an integer (or nothing) by value, not
    // a pointer, come here, so the kernel reads or writes no memory of ours.
    unsafe { syscalls::syscall3(Sysno::ioctl, fd as usize, request as usize, arg) }.map_err(errno)
}

/// `ioctl(fd, TIOCSCTTY, 0)`: `fd`'s terminal becomes the session's
/// controlling terminal.
pub fn set_controlling_tty(fd: i32) -> Result<(), Errno> {
    ioctl_int(fd, linux_raw_sys::ioctl::TIOCSCTTY, 0).map(drop)
}

/// `ioctl(fd, WDIOC_GETTIMEOUT, &seconds)`: a watchdog's timeout.
pub fn watchdog_timeout(fd: i32) -> Result<u32, Errno> {
    let mut seconds: i32 = 0;
    // SAFETY: WDIOC_GETTIMEOUT writes one int through the pointer, which
    // points to a live, writable `i32`.
    unsafe {
        syscalls::syscall3(
            Sysno::ioctl,
            fd as usize,
            linux_raw_sys::ioctl::WDIOC_GETTIMEOUT as usize,
            core::ptr::from_mut(&mut seconds) as usize,
        )
    }
    .map_err(errno)?;
    Ok(seconds.max(0) as u32)
}

/// `reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, cmd, NULL)`.
pub fn reboot(cmd: u32) -> Result<(), Errno> {
    use linux_raw_sys::general::{LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2};
    // SAFETY: the commands used here (CAD_OFF, HALT, POWER_OFF, RESTART)
    // take no argument; the kernel reads no memory of ours.
    unsafe {
        syscalls::syscall4(
            Sysno::reboot,
            LINUX_REBOOT_MAGIC1 as usize,
            LINUX_REBOOT_MAGIC2 as usize,
            cmd as usize,
            0,
        )
    }
    .map(drop)
    .map_err(errno)
}

/// `sync()`: every file system's data to its disk, before a reboot.
pub fn sync() {
    // SAFETY: sync takes no argument.
    let _ = unsafe { syscalls::syscall0(Sysno::sync) };
}

/// `read(fd, buf)`.
pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`, which
    // is live and writable for that long.
    unsafe {
        syscalls::syscall3(
            Sysno::read,
            fd as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    }
    .map_err(errno)
}

/// `write(fd, bytes)`.
pub fn write(fd: i32, bytes: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel reads at most `bytes.len()` bytes from `bytes`.
    unsafe {
        syscalls::syscall3(
            Sysno::write,
            fd as usize,
            bytes.as_ptr() as usize,
            bytes.len(),
        )
    }
    .map_err(errno)
}

/// `clock_gettime(CLOCK_MONOTONIC)` in milliseconds, as a system call, not
/// through the vDSO:
/// PID 1 reads the clock only when a service exits or a timer is due, and
/// the vDSO lookup would cost more bytes than all those calls cost time.
pub fn monotonic() -> u64 {
    let mut ts = linux_raw_sys::general::__kernel_timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: the kernel writes one `struct __kernel_timespec` (the 64-bit
    // time layout of `clock_gettime`, the syscall rustix also makes on
    // every architecture here) through the pointer, which points to one.
    #[cfg(target_pointer_width = "32")]
    let call = Sysno::clock_gettime64;
    #[cfg(target_pointer_width = "64")]
    let call = Sysno::clock_gettime;
    let _ = unsafe {
        syscalls::syscall2(
            call,
            linux_raw_sys::general::CLOCK_MONOTONIC as usize,
            core::ptr::from_mut(&mut ts) as usize,
        )
    };
    (ts.tv_sec as u64).wrapping_mul(1000) + ts.tv_nsec as u64 / 1_000_000
}
