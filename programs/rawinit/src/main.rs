//! rawinit: a tini-class init built on rawepoll, and a board init.
//!
//! With a command it is the container init described below; started as
//! PID 1 with none (or under the name `init`) it is a board's init,
//! reading busybox's `/etc/inittab` (see `board.rs`).
//!
//! `#![no_std]`, `#![no_main]`, no libc, fully static. One epoll loop over a
//! signalfd: every signal rawinit can block is blocked and arrives as a
//! record; SIGCHLD means "reap", anything else is forwarded to the child
//! (or its process group with `-g`, which also gets SIGTERM when the child
//! exits). rawinit moves to `/` once the child runs. No timers and no
//! polling: it sleeps
//! in `epoll_pwait(-1)` until a signal comes.
//!
//! ```text
//! cd programs/rawinit && cargo build --profile minimal
//! # -> target/x86_64-unknown-linux-musl/minimal/rawinit
//! ```
//!
//! Job-control signals: SIGTSTP, SIGTTIN and SIGTTOU are forwarded like any
//! other signal (so Ctrl-Z stops the child); rawinit itself blocks them and
//! never stops. The synchronous fault signals (SIGILL, SIGTRAP, SIGABRT,
//! SIGBUS, SIGFPE, SIGSEGV, SIGSYS) are left alone, as in tini: they report
//! a fault of rawinit itself. SIGKILL and SIGSTOP cannot be caught.
#![no_std]
#![no_main]

mod args;
mod board;
mod child;
mod inittab;
mod out;
mod sys;

use rawepoll::{block_signals, Epoll, Errno, Events, Interest, SigSet, SignalFd, Timeout, Token};
use rustix::process::{wait, WaitOptions};

use args::{Args, Env, Options, Parsed};
use out::Part;

// _start, exit and the C memory functions.
rawepoll_start::main!(main);

const VERSION: &str = "rawinit 0.1.0\n";

/// Signals that stay unblocked: fault signals, and the two the kernel
/// never lets anyone block.
const NOT_FORWARDED: [i32; 9] = [4, 5, 6, 7, 8, 9, 11, 19, 31];
pub(crate) const SIGCHLD: i32 = 17;
const SIGTERM: i32 = 15;

#[inline(always)]
fn main(args: Args, env: Env) -> i32 {
    if board_init(args) {
        board::run(env);
    }
    let opts = match args::parse(args, env) {
        Parsed::Run(o) => o,
        Parsed::Help => {
            out::write_stdout(args::USAGE.as_bytes());
            return 0;
        }
        Parsed::Version => {
            out::write_stdout(VERSION.as_bytes());
            return 0;
        }
        Parsed::Usage(msg, arg) => {
            let sep = if arg.is_empty() { "" } else { " " };
            out::line(&[
                Part::Str("rawinit: "),
                Part::Str(msg),
                Part::Str(sep),
                Part::Bytes(arg),
            ]);
            out::write(b"try: rawinit --help\n");
            return 2;
        }
    };
    match run(&opts, args, env) {
        Ok(code) => code,
        Err(e) => {
            out::line(&[
                Part::Str("rawinit: "),
                Part::Str("setup failed: errno "),
                Part::Int(e.raw_os_error().into()),
            ]);
            1
        }
    }
}

/// Whether to be the board init: PID 1 with no command, or PID 1 started
/// under the name `init` (`/sbin/init`, whatever words the kernel passes
/// on from its command line).
fn board_init(args: Args) -> bool {
    if !rustix::process::getpid().is_init() {
        return false;
    }
    let name = args.get(0).unwrap_or(b"");
    let base = name.rsplit(|&b| b == b'/').next().unwrap_or(name);
    args.len() <= 1 || base == b"init"
}

pub(crate) fn forwarded_signals() -> SigSet {
    let mut set = SigSet::full();
    for s in NOT_FORWARDED {
        set.remove_raw(s);
    }
    set
}

fn run(opts: &Options, args: Args, env: Env) -> Result<i32, Errno> {
    if opts.parent_death != 0 {
        sys::set_parent_death_signal(opts.parent_death)?;
    }
    // An ignored SIGCHLD, inherited from the caller, would make the kernel
    // reap the children itself and send no SIGCHLD: rawinit would wait
    // forever. Take the default action; the child gets the caller's back.
    let caller_sigchld = sys::set_default_action(SIGCHLD)?;

    // Block before creating anything, so no signal slips past the fd.
    let set = forwarded_signals();
    let caller_mask = block_signals(&set)?;
    let signals = SignalFd::new(&set)?; // CLOEXEC: the child never sees it
    let epoll = Epoll::new()?; // CLOEXEC too
    epoll.add(&signals, Token(0), Interest::READABLE)?;

    // Only now, with every signal blocked, a warning may be written: a
    // closed stderr raises SIGPIPE, which would otherwise kill rawinit.
    let pid = rustix::process::getpid();
    if !pid.is_init() {
        if opts.subreaper {
            // Linux has had it since 3.4; an emulator (qemu-user) may refuse
            // it. Say so and run on rather than leave the program unstarted:
            // only the reaping of orphans is lost, and the warning says it.
            let result = rustix::process::set_child_subreaper(Some(pid));
            if let (Err(e), false) = (result, opts.quiet) {
                out::line(&[
                    Part::Str("rawinit: warning: cannot become a child subreaper (errno "),
                    Part::Int(e.raw_os_error().into()),
                    Part::Str("): orphaned descendants will not be reaped"),
                ]);
            }
        } else if !opts.quiet && !matches!(rustix::process::child_subreaper(), Ok(Some(_))) {
            // The attribute survives exec: whoever started rawinit may have
            // made it a subreaper already (tini checks the same way).
            out::line(&[Part::Str(
                "rawinit: warning: not PID 1 and no -s: orphaned descendants will not be reaped",
            )]);
        }
    }

    let child = match sys::fork()? {
        sys::Forked::Child => child::exec(args, env, opts.program, &caller_mask, &caller_sigchld),
        sys::Forked::Parent(pid) => pid,
    };
    let me = pid.as_raw_nonzero().get();
    child::set_group(child);
    // The init never holds the caller's directory busy (an unmountable
    // file system, as dumb-init documents); the child keeps it.
    let _ = sys::chdir_root();
    if opts.verbose {
        out::line(&[
            Part::Str("rawinit: started "),
            Part::Bytes(args.get(opts.program).unwrap_or(b"")),
            Part::Str(" as pid "),
            Part::Int(child.into()),
        ]);
    }

    let mut events = Events::<1>::new();
    loop {
        match epoll.wait(&mut events, Timeout::NEVER) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
        while let Some(info) = signals.read()? {
            let sig = info.signal();
            if info.pid() == me && sig != SIGCHLD {
                // Raised by rawinit itself (SIGPIPE from a message written
                // to a closed stderr): not the child's, and not worth a
                // message, which would raise another.
                continue;
            }
            if sig == SIGCHLD {
                if let Some(code) = reap(child, opts) {
                    if opts.group {
                        // As dumb-init does: the rest of the group (the
                        // child's own children) is told to stop too, TERM
                        // rewritten by `-r` like any forwarded signal.
                        forward(child, SIGTERM, opts);
                    }
                    return Ok(code);
                }
            } else {
                forward(child, sig, opts);
            }
        }
    }
}

/// Sends the signal received on to the child (or its group), rewritten
/// by `-r` if asked.
fn forward(child: i32, received: i32, opts: &Options) {
    let sig = match opts.rewrite.get(received as usize) {
        Some(&to) if to != args::UNCHANGED => i32::from(to),
        _ => received,
    };
    if sig == 0 {
        // `-r S:0`: dropped, as dumb-init does.
        return;
    }
    let target = if opts.group { -child } else { child };
    let result = sys::kill(target, sig);
    if opts.verbose {
        out::line(&[
            Part::Str("rawinit: forwarded signal "),
            Part::Int(sig.into()),
            Part::Str(if opts.group { " to group " } else { " to pid " }),
            Part::Int(child.into()),
            Part::Str(if result.is_ok() { "" } else { " (gone)" }),
        ]);
    }
}

/// Reaps every exited child (SIGCHLDs coalesce: one record may stand for
/// many exits). Returns the exit code to leave with once the main child
/// is among them.
fn reap(child: i32, opts: &Options) -> Option<i32> {
    let mut result = None;
    loop {
        // waitpid(-1, WNOHANG): any child, including re-parented orphans.
        match wait(WaitOptions::NOHANG) {
            Ok(Some((pid, status))) => {
                let pid = pid.as_raw_nonzero().get();
                let code = if let Some(c) = status.exit_status() {
                    let c = c as usize & 0xff;
                    if opts.remap[c] {
                        0
                    } else {
                        c as i32
                    }
                } else if let Some(s) = status.terminating_signal() {
                    128 + s
                } else {
                    continue; // stopped or continued: not an exit
                };
                if opts.warn_reap && pid != child && !opts.quiet {
                    out::line(&[
                        Part::Str("rawinit: warning: reaped zombie pid "),
                        Part::Int(pid.into()),
                    ]);
                }
                if opts.verbose {
                    out::line(&[
                        Part::Str("rawinit: reaped pid "),
                        Part::Int(pid.into()),
                        Part::Str(", exit code "),
                        Part::Int(code.into()),
                    ]);
                }
                if pid == child {
                    result = Some(code);
                }
            }
            // None left exited, or none left at all.
            Ok(None) | Err(_) => return result,
        }
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    out::write(b"rawinit: internal error\n");
    rawepoll_start::exit(254)
}
