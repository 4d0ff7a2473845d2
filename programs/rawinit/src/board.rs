//! The board init: what rawinit is when the kernel starts it as PID 1 with
//! no command (or under the name `init`). It reads busybox's
//! `/etc/inittab` (see [`inittab`](crate::inittab)), brings the system up
//! in busybox's order, restarts services with a growing back-off, pets a
//! hardware watchdog, answers busybox's signals, and brings the system
//! down with `reboot(2)`. It never exits: an exiting PID 1 panics the
//! kernel.
//!
//! Signals, as busybox: SIGUSR1 halt, SIGUSR2 power off, SIGTERM reboot,
//! SIGINT (Ctrl-Alt-Del, once `reboot(CAD_OFF)` has handed it to us) runs
//! the `ctrlaltdel` entries, SIGHUP reads the inittab again, SIGQUIT runs
//! the shutdown and then `exec`s the `restart` entry.

use linux_raw_sys::general as k;
use rawepoll::{
    block_signals, set_signal_mask, Epoll, Errno, Events, Interest, Pid, PidFd, SigSet, Signal,
    SignalFd, Timeout, Token,
};
use rustix::process::{wait, WaitOptions};

use crate::args::Env;
use crate::inittab::{self, Action, Entry, Table, MAX_ENTRIES};
use crate::out::{self, Part};
use crate::sys;

// Times are milliseconds on the monotonic clock.

/// The first delay (ms) before a service that died is started again; it
/// doubles while the service keeps dying within [`STABLE`] of its start.
const RESPAWN_MIN: u64 = 500;
/// The longest delay (ms) between two starts of a failing service.
const RESPAWN_MAX: u64 = 60_000;
/// A service that ran this long (ms) starts again from [`RESPAWN_MIN`].
const STABLE: u64 = 10_000;
/// How long (ms) processes have to exit after SIGTERM at shutdown,
/// before SIGKILL (less when all are gone sooner).
const GRACE: u64 = 2_000;

/// Where the inittab is; `RAWINIT_INITTAB` names another (for tests).
const INITTAB: &[u8] = b"/etc/inittab";

/// The environment every process gets, beside the kernel's.
const DEFAULT_ENV: [&[u8]; 5] = [
    b"PATH=/sbin:/usr/sbin:/bin:/usr/bin\0",
    b"HOME=/\0",
    b"SHELL=/bin/sh\0",
    b"USER=root\0",
    b"TERM=linux\0",
];
/// The directories searched for a command with no `/`.
const PATH: [&[u8]; 4] = [b"/sbin", b"/usr/sbin", b"/bin", b"/usr/bin"];

/// How the system goes down.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Request {
    Halt,
    PowerOff,
    Reboot,
    Restart,
}

impl Request {
    fn name(self) -> &'static str {
        match self {
            Request::Halt => "halt",
            Request::PowerOff => "power off",
            Request::Reboot => "reboot",
            Request::Restart => "restart",
        }
    }
}

/// A running (or waiting) process of an entry.
struct Service {
    /// 0: not running.
    pid: i32,
    /// The process as a pidfd, where the kernel has them (5.3+): signals
    /// go through it. (A child's pid cannot be reused before its parent
    /// reaps it, so `kill` is right too; the pidfd makes it so by
    /// construction.)
    pidfd: Option<PidFd>,
    /// When it was started.
    started: u64,
    /// The last back-off delay (0: none yet).
    delay: u64,
    /// When to start it again, if it is to be.
    due: Option<u64>,
}

impl Service {
    const IDLE: Service = Service {
        pid: 0,
        pidfd: None,
        started: 0,
        delay: 0,
        due: None,
    };
}

struct Board {
    /// The kernel's environment (`RAWINIT_INITTAB`, and the children's).
    env: Env,
    table: Table,
    services: [Service; MAX_ENTRIES],
    /// The children's environment: NULL-terminated.
    envp: [*const u8; 48],
    epoll: Epoll,
    signals: SignalFd,
    /// `/dev/watchdog`, open, how often it is petted, and when next.
    watchdog: Option<(i32, u64, u64)>,
    /// The end of the shutdown's grace period.
    grace: Option<u64>,
    /// Set by the first of SIGUSR1, SIGUSR2, SIGTERM, SIGQUIT.
    request: Option<Request>,
    /// Shutting down: nothing is started again.
    stopping: bool,
}

/// The board init; never returns.
pub fn run(env: Env) -> ! {
    console();
    // The kernel's variables first (the first of a name is the one a
    // program sees), then the defaults.
    let mut envp = [core::ptr::null(); 48];
    let kernel = env.iter().take(envp.len() - DEFAULT_ENV.len() - 1);
    for (slot, var) in envp.iter_mut().zip(kernel.chain(DEFAULT_ENV)) {
        *slot = var.as_ptr();
    }
    match Board::new(env, envp) {
        Ok(mut board) => {
            board.load(false);
            board.boot()
        }
        Err(e) => {
            failed("cannot set up, only reaping;", b"", e);
            reap_forever()
        }
    }
}

/// Makes sure fds 0, 1 and 2 are open (on `/dev/console`): a kernel with
/// no console node in the initramfs starts init with none.
fn console() {
    if let Ok(fd) = sys::open(b"/dev/console\0", k::O_RDWR | k::O_NOCTTY) {
        if fd == 0 {
            let _ = sys::dup_to(0, 1);
            let _ = sys::dup_to(0, 2);
        } else {
            sys::close(fd);
        }
    }
}

/// The last resort when not even an epoll can be made: reap for ever.
fn reap_forever() -> ! {
    loop {
        if let Err(Errno::CHILD) = wait(WaitOptions::empty()) {
            let _ = rustix::thread::nanosleep(&rustix::thread::Timespec {
                tv_sec: 3600,
                tv_nsec: 0,
            });
        }
    }
}

impl Board {
    fn new(env: Env, envp: [*const u8; 48]) -> Result<Board, Errno> {
        let set = crate::forwarded_signals();
        block_signals(&set)?;
        let signals = SignalFd::new(&set)?;
        let epoll = Epoll::new()?;
        epoll.add(&signals, Token(0), Interest::READABLE)?;
        Ok(Board {
            env,
            table: Table::EMPTY,
            services: [const { Service::IDLE }; MAX_ENTRIES],
            envp,
            epoll,
            signals,
            watchdog: None,
            grace: None,
            request: None,
            stopping: false,
        })
    }

    /// Reads the inittab into `self.table` (busybox's defaults when there
    /// is none). On a reload, services still listed keep running; the
    /// others are stopped, and new `respawn`/`askfirst` entries start.
    fn load(&mut self, reload: bool) {
        let mut path = [0u8; 256];
        let name = self
            .env
            .get(b"RAWINIT_INITTAB")
            .filter(|p| p.len() < path.len())
            .unwrap_or(INITTAB);
        path[..name.len()].copy_from_slice(name);
        let mut text = [0u8; 4096];
        let len = match read_file(&path[..=name.len()], &mut text) {
            Ok(len) => len,
            Err(e) => {
                if reload {
                    // Keep what runs rather than fall back to defaults.
                    failed("nothing changed: cannot read", name, e);
                    return;
                }
                failed("busybox's defaults: cannot read", name, e);
                text[..inittab::DEFAULT.len()].copy_from_slice(inittab::DEFAULT);
                inittab::DEFAULT.len()
            }
        };
        let mut table = Table::EMPTY;
        inittab::parse(&text[..len], &mut table, |line, why| {
            out::line(&[
                Part::Str("rawinit: "),
                Part::Bytes(name),
                Part::Str(" line "),
                Part::Int(line as i64),
                Part::Str(": "),
                Part::Str(why.message()),
                Part::Str(", skipped"),
            ]);
        });
        if !reload {
            self.table = table;
            return;
        }
        // Carry the services still listed over to their new places.
        let mut services = [const { Service::IDLE }; MAX_ENTRIES];
        let mut kept = [false; MAX_ENTRIES];
        for (i, old) in self.table.iter().enumerate() {
            let service = core::mem::replace(&mut self.services[i], Service::IDLE);
            let place = table
                .iter()
                .enumerate()
                .position(|(j, new)| !kept[j] && new.same(old));
            match place {
                Some(j) => {
                    kept[j] = true;
                    services[j] = service;
                }
                None if service.pid != 0 && respawns(old) => match &service.pidfd {
                    Some(fd) => drop(fd.send_signal(Signal::TERM)),
                    None => drop(sys::kill(service.pid, k::SIGTERM as i32)),
                },
                None => {}
            }
        }
        self.table = table;
        self.services = services;
        for (i, kept) in kept.into_iter().enumerate().take(self.table.len) {
            if !kept && respawns(&self.table.entries[i]) {
                self.start(i);
            }
        }
    }

    /// Boots: sysinit, the watchdog, wait, then once, respawn and
    /// askfirst; then serves until a shutdown is asked for.
    fn boot(mut self) -> ! {
        // Ctrl-Alt-Del becomes SIGINT to us rather than an instant reboot.
        let _ = sys::reboot(k::LINUX_REBOOT_CMD_CAD_OFF);
        let _ = sys::chdir_root();
        self.run_each(Action::Sysinit);
        if self.request.is_none() {
            self.open_watchdog();
            self.run_each(Action::Wait);
        }
        if self.request.is_none() {
            for i in 0..self.table.len {
                let entry = &self.table.entries[i];
                if entry.action == Action::Once || respawns(entry) {
                    self.start(i);
                }
            }
        }
        loop {
            if let Some(request) = self.request {
                self.shutdown(request);
            }
            self.step();
        }
    }

    /// Runs every entry of `action`, one after the other, each to its end
    /// (or until a shutdown is asked for).
    fn run_each(&mut self, action: Action) {
        for i in 0..self.table.len {
            if self.table.entries[i].action == action {
                self.start(i);
                while self.services[i].pid != 0 && (self.request.is_none() || self.stopping) {
                    self.step();
                }
                if self.request.is_some() && !self.stopping {
                    return;
                }
            }
        }
    }

    /// Waits for what comes next (a signal, a timer) and handles it. No
    /// timer pending: no timeout, so no wake-up while nothing happens.
    fn step(&mut self) {
        let services = self.services.iter().filter_map(|s| s.due);
        let next = services
            .chain(self.watchdog.map(|w| w.2))
            .chain(self.grace)
            .min();
        let timeout = match next {
            None => Timeout::NEVER,
            Some(at) => Timeout::from_millis(at.saturating_sub(sys::monotonic()) as u32),
        };
        let mut events = Events::<1>::new();
        let _ = self.epoll.wait(&mut events, timeout);
        while let Ok(Some(info)) = self.signals.read() {
            self.signal(info.signal());
        }
        let now = sys::monotonic();
        for i in 0..self.table.len {
            if self.services[i].due.is_some_and(|due| due <= now) {
                self.services[i].due = None;
                self.start(i);
            }
        }
        if self.watchdog.is_some_and(|w| w.2 <= now) {
            self.pet();
        }
    }

    fn signal(&mut self, sig: i32) {
        let request = match sig as u32 {
            k::SIGCHLD => {
                self.reap();
                return;
            }
            k::SIGINT => {
                if !self.stopping {
                    for i in 0..self.table.len {
                        if self.table.entries[i].action == Action::Ctrlaltdel {
                            self.start(i);
                        }
                    }
                }
                return;
            }
            k::SIGHUP => {
                if !self.stopping {
                    self.load(true);
                }
                return;
            }
            k::SIGUSR1 => Request::Halt,
            k::SIGUSR2 => Request::PowerOff,
            k::SIGTERM => Request::Reboot,
            k::SIGQUIT if self.table.iter().any(|e| e.action == Action::Restart) => {
                Request::Restart
            }
            _ => return,
        };
        if self.request.is_none() {
            self.request = Some(request);
        }
    }

    /// Reaps every exited child; returns whether any child is left.
    fn reap(&mut self) -> bool {
        loop {
            match wait(WaitOptions::NOHANG) {
                Ok(Some((pid, status))) => {
                    let pid = pid.as_raw_nonzero().get();
                    let code = match (status.exit_status(), status.terminating_signal()) {
                        (Some(code), _) => i64::from(code),
                        (None, Some(sig)) => -i64::from(sig),
                        (None, None) => continue, // stopped or continued
                    };
                    if let Some(i) = self.services.iter().position(|s| s.pid == pid) {
                        self.exited(i, code);
                    }
                }
                Ok(None) => return true,
                Err(_) => return false, // ECHILD: none left
            }
        }
    }

    /// Entry `i`'s process ended (`code`: its exit code, or minus the
    /// signal that killed it).
    fn exited(&mut self, i: usize, code: i64) {
        let service = &mut self.services[i];
        service.pid = 0;
        service.pidfd = None;
        let entry = &self.table.entries[i];
        if self.stopping || !respawns(entry) {
            return;
        }
        let now = sys::monotonic();
        let ran = now.saturating_sub(service.started);
        service.delay = if ran >= STABLE || service.delay == 0 {
            RESPAWN_MIN
        } else {
            (service.delay * 2).min(RESPAWN_MAX)
        };
        let delay = service.delay;
        service.due = Some(now + delay);
        out::line(&[
            Part::Str("rawinit: '"),
            Part::Bytes(entry.process()),
            Part::Str(if code < 0 {
                "' killed by signal "
            } else {
                "' exited with "
            }),
            Part::Int(code.abs()),
            Part::Str(" after "),
            Part::Int(ran as i64),
            Part::Str(" ms; again in "),
            Part::Int(delay as i64),
            Part::Str(" ms"),
        ]);
    }

    /// Starts entry `i`'s process.
    fn start(&mut self, i: usize) {
        let entry = self.table.entries[i];
        match sys::fork() {
            Ok(sys::Forked::Child) => exec_entry(&entry, self.envp.as_ptr()),
            Ok(sys::Forked::Parent(pid)) => {
                self.services[i].pid = pid;
                self.services[i].pidfd = Pid::from_raw(pid).and_then(|pid| PidFd::open(pid).ok());
                self.services[i].started = sys::monotonic();
            }
            Err(e) => {
                failed("cannot start", entry.process(), e);
                // As if it had died at once: a respawn entry tries again.
                self.services[i].started = sys::monotonic();
                self.exited(i, 127);
            }
        }
    }

    /// Opens `/dev/watchdog` if there is one, and pets it from now on
    /// every half of its timeout.
    fn open_watchdog(&mut self) {
        let fd = match sys::open(b"/dev/watchdog\0", k::O_WRONLY) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return,
            Err(e) => {
                failed("cannot open", b"/dev/watchdog", e);
                return;
            }
        };
        let timeout = sys::watchdog_timeout(fd).unwrap_or(0);
        let every = if timeout == 0 {
            1000
        } else {
            (u64::from(timeout) * 500).clamp(500, 30_000)
        };
        self.watchdog = Some((fd, every, 0));
        out::line(&[
            Part::Str("rawinit: /dev/watchdog: timeout "),
            Part::Int(timeout.into()),
            Part::Str(" s, petted every "),
            Part::Int(every as i64),
            Part::Str(" ms"),
        ]);
        self.pet();
    }

    fn pet(&mut self) {
        if let Some((fd, every, next)) = &mut self.watchdog {
            let _ = sys::write(*fd, b"\0");
            *next = sys::monotonic() + *every;
        }
    }

    /// Brings the system down: the shutdown entries, SIGTERM to every
    /// process, the grace period, SIGKILL, sync, then `reboot(2)` (or the
    /// `restart` entry). Never returns: if `reboot` fails, it serves on
    /// with nothing left to start.
    fn shutdown(&mut self, request: Request) -> ! {
        self.stopping = true;
        out::line(&[Part::Str("rawinit: "), Part::Str(request.name())]);
        for service in &mut self.services {
            service.due = None;
        }
        self.run_each(Action::Shutdown);
        let _ = sys::kill(-1, k::SIGTERM as i32);
        out::line(&[Part::Str("rawinit: sent SIGTERM to all processes")]);
        let end = sys::monotonic() + GRACE;
        self.grace = Some(end);
        while self.reap() && sys::monotonic() < end {
            self.step();
        }
        self.grace = None;
        if self.reap() {
            let _ = sys::kill(-1, k::SIGKILL as i32);
            out::line(&[Part::Str("rawinit: sent SIGKILL to all processes")]);
            self.reap();
        }
        sys::sync();
        if let Some((fd, _, _)) = self.watchdog.take() {
            // The magic close: a clean stop, not a reset.
            let _ = sys::write(fd, b"V");
            sys::close(fd);
        }
        let cmd = match request {
            Request::Halt => k::LINUX_REBOOT_CMD_HALT,
            Request::PowerOff => k::LINUX_REBOOT_CMD_POWER_OFF,
            Request::Reboot => k::LINUX_REBOOT_CMD_RESTART,
            Request::Restart => {
                if let Some(entry) = self.table.iter().find(|e| e.action == Action::Restart) {
                    // busybox's way: PID 1 becomes the restart process, on
                    // its terminal; if it cannot, the machine restarts.
                    if on_terminal(entry) {
                        exec_process(entry, self.envp.as_ptr());
                    }
                    let _ = block_signals(&crate::forwarded_signals());
                }
                k::LINUX_REBOOT_CMD_RESTART
            }
        };
        let e = sys::reboot(cmd).err().unwrap_or(Errno::INVAL);
        failed("reboot(2) failed;", b"serving on", e);
        loop {
            self.step();
        }
    }
}

/// Whether the entry's process is started again when it exits.
fn respawns(entry: &Entry) -> bool {
    matches!(entry.action, Action::Respawn | Action::Askfirst)
}

/// Reads a whole (small) file into `buf`; `path` ends with NUL.
fn read_file(path: &[u8], buf: &mut [u8]) -> Result<usize, Errno> {
    let fd = sys::open(path, k::O_RDONLY)?;
    let mut len = 0;
    let result = loop {
        match sys::read(fd, &mut buf[len..]) {
            Ok(0) => break Ok(len),
            Ok(n) => {
                len += n;
                if len == buf.len() {
                    break Err(Errno::FBIG);
                }
            }
            Err(Errno::INTR) => {}
            Err(e) => break Err(e),
        }
    };
    sys::close(fd);
    result
}

/// In the forked child: its own session on the entry's terminal, every
/// signal unblocked, then the process. Never returns.
fn exec_entry(entry: &Entry, envp: *const *const u8) -> ! {
    if !on_terminal(entry) {
        rawepoll_start::exit(1)
    }
    if entry.action == Action::Askfirst {
        let _ = sys::write(1, b"\nPlease press Enter to activate this console. ");
        let mut byte = [0u8];
        loop {
            match sys::read(0, &mut byte) {
                Ok(1) if byte[0] == b'\n' => break,
                Ok(1) | Err(Errno::INTR) => {}
                _ => rawepoll_start::exit(0),
            }
        }
    }
    exec_process(entry, envp);
    rawepoll_start::exit(127)
}

/// Every signal unblocked, a session of its own, and stdin, stdout and
/// stderr on the entry's terminal (for an askfirst shell, its controlling
/// terminal); `false`, said on the console, when the terminal cannot be
/// opened.
fn on_terminal(entry: &Entry) -> bool {
    let _ = set_signal_mask(&SigSet::empty());
    let _ = rustix::process::setsid();
    let tty = entry.tty();
    let mut path = [0u8; 80];
    let name: &[u8] = if tty.is_empty() {
        b"/dev/console"
    } else if tty[0] == b'/' {
        tty
    } else {
        path[..5].copy_from_slice(b"/dev/");
        path[5..5 + tty.len()].copy_from_slice(tty);
        &path[..5 + tty.len()]
    };
    let mut with_nul = [0u8; 80];
    with_nul[..name.len()].copy_from_slice(name);
    // O_APPEND: no effect on a terminal; a log file as `id` (tests) keeps
    // every writer's lines.
    match sys::open(&with_nul[..=name.len()], k::O_RDWR | k::O_APPEND) {
        Ok(fd) => {
            // The controlling terminal only for an askfirst shell, which
            // wants job control. Any other session leader that had one
            // would, on exit, have the kernel hang up its background
            // children (an rcS's `daemon &`); busybox does the same.
            if entry.action == Action::Askfirst {
                let _ = sys::set_controlling_tty(fd);
            }
            for std in 0..3 {
                let _ = sys::dup_to(fd, std);
            }
            if fd > 2 {
                sys::close(fd);
            }
        }
        Err(e) => {
            failed("cannot open", name, e);
            return false;
        }
    }
    true
}

/// `execve`s the entry's process: split on blanks, or through `/bin/sh -c
/// 'exec PROCESS'` when it holds shell syntax; a leading `-` makes
/// `argv[0]` a login shell's (`-/bin/sh`, as busybox). Returns only if it
/// could not.
fn exec_process(entry: &Entry, envp: *const *const u8) {
    let process = entry.process();
    let (login, command) = match process.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, process),
    };
    let shell = command
        .iter()
        .any(|b| b"~`!$^&*()=|\\{}[];\"'<>?".contains(b));
    // The program, and the argument text: NUL-separated words.
    let (program, words): (&[u8], &[&[u8]]) = if shell {
        (b"/bin/sh", &[b"sh\0-c\0exec ", command])
    } else {
        let end = command.iter().position(u8::is_ascii_whitespace);
        let program = &command[..end.unwrap_or(command.len())];
        (program, &[command])
    };
    let mut text = [0u8; 320];
    let mut len = usize::from(login);
    text[0] = b'-';
    for word in words {
        if len + word.len() + 1 > text.len() {
            return cannot_run(process, Errno::TOOBIG);
        }
        text[len..len + word.len()].copy_from_slice(word);
        len += word.len();
    }
    if !shell {
        for b in &mut text[..len] {
            if b.is_ascii_whitespace() {
                *b = 0;
            }
        }
    }
    // Pointers to the start of each word.
    let mut argv = [core::ptr::null::<u8>(); 24];
    let mut argc = 0;
    for i in 0..len {
        if text[i] != 0 && (i == 0 || text[i - 1] == 0) && argc + 1 < argv.len() {
            argv[argc] = text[i..].as_ptr();
            argc += 1;
        }
    }
    let mut full = [0u8; 256];
    let mut error = Errno::NOENT;
    let dirs: &[&[u8]] = if program.contains(&b'/') {
        &[b""]
    } else {
        &PATH
    };
    for dir in dirs {
        let len = dir.len() + 1 + program.len();
        if len + 1 > full.len() {
            continue;
        }
        full[..dir.len()].copy_from_slice(dir);
        full[dir.len()] = b'/';
        full[dir.len() + 1..len].copy_from_slice(program);
        full[len] = 0;
        // An absolute program: skip the '/' put before it.
        let path = &full[usize::from(dir.is_empty())..=len];
        match sys::execve(path, argv.as_ptr(), envp) {
            Errno::NOENT | Errno::NOTDIR => {}
            e => {
                error = e;
                break;
            }
        }
    }
    cannot_run(process, error);
}

fn cannot_run(process: &[u8], e: Errno) {
    failed("cannot run", process, e);
}

/// `rawinit: WHAT SUBJECT: errno N` on the console.
#[inline(never)]
fn failed(what: &str, subject: &[u8], e: Errno) {
    out::line(&[
        Part::Str("rawinit: "),
        Part::Str(what),
        Part::Str(" "),
        Part::Bytes(subject),
        Part::Str(": errno "),
        Part::Int(e.raw_os_error().into()),
    ]);
}
