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
