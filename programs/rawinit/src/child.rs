//! Starting the child: its own process group, the terminal's foreground,
//! the caller's signal mask back, and `execve` with a `PATH` search.

use rawepoll::{set_signal_mask, BorrowedFd, Errno, SigSet};
use rustix::process::Pid;

use crate::args::{Args, Env};
use crate::out::{self, Part};
use crate::sys;

/// In the forked child: set up and exec `argv[program]`; never returns.
pub fn exec(
    args: Args,
    env: Env,
    program: usize,
    caller_mask: &SigSet,
    caller_sigchld: &sys::SigAction,
) -> ! {
    // Its own process group, and the terminal's foreground if there is a
    // terminal: job control works for it as if the shell had started it.
    // SIGTTOU is still blocked here, so tcsetpgrp cannot stop us.
    let _ = rustix::process::setpgid(None, None);
    // SAFETY: fd 0 is only lent to isatty/tcsetpgrp; closed, they fail.
    let stdin = unsafe { BorrowedFd::borrow_raw(0) };
    if rustix::termios::isatty(stdin) {
        let _ = rustix::termios::tcsetpgrp(stdin, rustix::process::getpid());
    }
    // The caller's mask back: blocking in the init must not leak into the
    // child. Ignored signals need nothing: rawinit never changes a
    // disposition, and ignored ones survive execve.
    let _ = set_signal_mask(caller_mask);
    // And SIGCHLD as the caller had it (rawinit took the default action for
    // itself; an ignored SIGCHLD survives execve).
    if caller_sigchld.sa_handler_kernel.is_some() {
        let _ = sys::restore_action(crate::SIGCHLD, caller_sigchld);
    }

    let name = args.get(program).unwrap_or(b"");
    // The NULL-terminated tail of the kernel's argv, from PROGRAM on.
    let child_argv = args.skip(program).as_ptr();
    let envp = env.as_ptr();
    let err = if name.contains(&b'/') {
        let mut path = [0u8; 4096];
        match with_nul(name, &mut path) {
            Some(p) => execve_or_sh(p, child_argv, envp),
            None => Errno::NAMETOOLONG,
        }
    } else {
        search_path(name, child_argv, env)
    };
    let code = match err {
        Errno::NOENT | Errno::NOTDIR | Errno::NAMETOOLONG | Errno::LOOP => 127,
        _ => 126, // EACCES, ENOEXEC, ...
    };
    out::line(&[
        Part::Str("rawinit: cannot execute "),
        Part::Bytes(name),
        Part::Str(": "),
        Part::Str(describe(err)),
    ]);
    rawepoll_start::exit(code)
}

/// `execve(path, argv, envp)`, and on `ENOEXEC` (an executable file with
/// no `#!` line and no known binary format) the script run by `/bin/sh`, as
/// execvp(3) and tini, dumb-init and catatonit do: `/bin/sh path args...`.
/// Returns the error to report: the shell's, or `ENOEXEC` without a shell.
fn execve_or_sh(path: &[u8], argv: *const *const u8, envp: *const *const u8) -> Errno {
    let err = sys::execve(path, argv, envp);
    if err != Errno::NOEXEC {
        return err;
    }
    const SH: &[u8] = b"/bin/sh\0";
    // The slot before PROGRAM (rawinit's own argument, at least argv[0])
    // becomes the shell's name and PROGRAM's slot the script's path: the
    // argv array the kernel gave this forked copy of rawinit, which exec
    // replaces anyway.
    let sh_argv = argv.cast_mut();
    // SAFETY: `argv` points at PROGRAM's slot in the process's argv array,
    // and PROGRAM is never argv[0], so the slot before it exists; the array
    // is this process's own writable memory, used by nothing else now; the
    // strings written in (`SH`, `path`) are NUL-terminated and live until
    // execve has copied them.
    let err = unsafe {
        let sh_argv = sh_argv.sub(1);
        *sh_argv = SH.as_ptr();
        *sh_argv.add(1) = path.as_ptr();
        sys::execve(SH, sh_argv, envp)
    };
    match err {
        Errno::NOENT => Errno::NOEXEC, // no shell: report the script's error
        other => other,
    }
}

fn with_nul<'a>(s: &[u8], buf: &'a mut [u8]) -> Option<&'a [u8]> {
    if s.len() + 1 > buf.len() {
        return None;
    }
    buf[..s.len()].copy_from_slice(s);
    buf[s.len()] = 0;
    Some(&buf[..=s.len()])
}

/// `execvp`'s search: each directory of `PATH` in turn; EACCES is kept
/// and reported if nothing else is found.
fn search_path(name: &[u8], argv: *const *const u8, env: Env) -> Errno {
    let envp = env.as_ptr();
    let path_var = env.get(b"PATH").unwrap_or(b"/usr/local/bin:/usr/bin:/bin");
    let mut saw_eacces = false;
    for dir in path_var.split(|&c| c == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let mut buf = [0u8; 4096];
        if dir.len() + 1 + name.len() + 1 > buf.len() {
            continue;
        }
        buf[..dir.len()].copy_from_slice(dir);
        buf[dir.len()] = b'/';
        let full = &mut buf[dir.len() + 1..];
        let Some(p) = with_nul(name, full) else {
            continue;
        };
        let len = dir.len() + 1 + p.len();
        match execve_or_sh(&buf[..len], argv, envp) {
            Errno::NOENT | Errno::NOTDIR => {}
            Errno::ACCESS => saw_eacces = true,
            other => return other,
        }
    }
    if saw_eacces {
        Errno::ACCESS
    } else {
        Errno::NOENT
    }
}

fn describe(e: Errno) -> &'static str {
    match e {
        Errno::NOENT => "No such file or directory",
        Errno::ACCESS => "Permission denied",
        Errno::NOEXEC => "Exec format error",
        Errno::NOTDIR => "Not a directory",
        Errno::NAMETOOLONG => "File name too long",
        Errno::LOOP => "Too many levels of symbolic links",
        Errno::TOOBIG => "Argument list too long",
        Errno::NOMEM => "Out of memory",
        _ => "exec failed",
    }
}

/// The parent's half of the process-group set-up (either side may run
/// first; both setting it closes the race).
pub fn set_group(child: i32) {
    if let Some(pid) = Pid::from_raw(child) {
        let _ = rustix::process::setpgid(Some(pid), Some(pid));
    }
}
