//! A process supervisor on one epoll: no threads, one fd per pipe and
//! per child, and every deadline in a `TimerSet`.
//!
//! ```text
//! cargo run --example supervisor -- 'echo hello; sleep 1; exit 3' 'ping -c 3 127.0.0.1'
//! ```
//!
//! Each argument is a command, run as `sh -c COMMAND`. The supervisor:
//!
//! * prefixes every line a child writes with its number and stream
//!   (`[0 out] hello`, `[1 err] ...`) and writes the lines to its stdout
//!   as they come, whole lines only, however the child's writes are cut;
//! * restarts a child that fails (non-zero exit or killed by a signal)
//!   after an exponential back-off held in the `TimerSet`: `--backoff-ms`
//!   (default 100), doubled after each failure up to `--max-backoff-ms`
//!   (default 10000), back to the start once a child has run for
//!   `--stable-ms` (default 10000). A child that exits 0 is done;
//! * stops on SIGTERM or SIGINT, read from a `SignalFd`: it sends TERM to
//!   every child through its `PidFd`, then KILL to those still running
//!   after `--grace-ms` (default 5000); a second signal sends KILL at once;
//! * exits 0 when no child is left (all done, or all stopped).
//!
//! The supervisor's own lines start with `[supervisor]`. A child's exit is
//! reported after the last bytes it wrote have been printed; what a
//! grandchild writes to an inherited pipe after its parent exited is not.

use std::fmt;
use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use rawepoll::timer_set::TimerHandle;
use rawepoll::{
    block_signals, set_nonblocking, set_signal_mask, Epoll, Errno, Events, ExitStatus, Interest,
    Pid, PidFd, SigSet, Signal, SignalFd, TimerSet, Token,
};

const HANDLED: SigSet = SigSet::empty().with(Signal::TERM).with(Signal::INT);
/// Child `i`'s stdout, stderr and pidfd are tokens 3i, 3i+1 and 3i+2.
const SIGNALS: Token = Token(u64::MAX);
const MAX_CHILDREN: usize = 64;
/// A line longer than this is written in pieces.
const MAX_LINE: usize = 64 * 1024;

/// What a timer is for.
enum Due {
    Restart(usize),
    Grace,
}

/// The settings, from the command line.
pub struct Options {
    pub commands: Vec<String>,
    pub backoff: Duration,
    pub max_backoff: Duration,
    pub stable: Duration,
    pub grace: Duration,
}

pub const USAGE: &str = "usage: supervisor [--backoff-ms MS] [--max-backoff-ms MS] \
                         [--stable-ms MS] [--grace-ms MS] [--] COMMAND...";

pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut o = Options {
        commands: Vec::new(),
        backoff: Duration::from_millis(100),
        max_backoff: Duration::from_secs(10),
        stable: Duration::from_secs(10),
        grace: Duration::from_secs(5),
    };
    let mut args = args.into_iter();
    let mut options_done = false;
    while let Some(a) = args.next() {
        if options_done || !a.starts_with("--") {
            o.commands.push(a);
            continue;
        }
        if a == "--" {
            options_done = true;
            continue;
        }
        let ms = args
            .next()
            .ok_or(format!("{a} needs a value in milliseconds"))?
            .parse::<u64>()
            .map_err(|e| format!("{a}: {e}"))?;
        let d = Duration::from_millis(ms);
        match a.as_str() {
            "--backoff-ms" => o.backoff = d.max(Duration::from_millis(1)),
            "--max-backoff-ms" => o.max_backoff = d,
            "--stable-ms" => o.stable = d,
            "--grace-ms" => o.grace = d,
            _ => return Err(format!("unknown option {a}")),
        }
    }
    if o.commands.is_empty() {
        return Err("no command to supervise".into());
    }
    if o.commands.len() > MAX_CHILDREN {
        return Err(format!("at most {MAX_CHILDREN} commands"));
    }
    Ok(o)
}

/// One of a child's output pipes and the partial line read from it.
struct Pipe {
    file: File,
    line: Vec<u8>,
}

struct Running {
    pid: u32,
    pidfd: PidFd,
    /// stdout, stderr; `None` once at end of file.
    pipes: [Option<Pipe>; 2],
    started: Instant,
}

enum State {
    Running(Running),
    /// Waiting for its restart timer.
    Waiting(TimerHandle),
    Done,
}

struct Child {
    command: String,
    state: State,
    /// The delay before the next restart.
    backoff: Duration,
}

struct Supervisor<'o> {
    o: &'o Options,
    epoll: Epoll,
    timers: TimerSet<Due, { MAX_CHILDREN + 1 }>,
    children: Vec<Child>,
    out: io::StdoutLock<'static>,
    /// Since the first SIGTERM/SIGINT.
    stopping: bool,
    /// The signal mask before the supervisor blocked TERM and INT.
    child_mask: SigSet,
}

fn token(child: usize, fd: usize) -> Token {
    Token((child * 3 + fd) as u64)
}

fn signal_name(signo: i32) -> String {
    let named = [
        (Signal::HUP, "HUP"),
        (Signal::INT, "INT"),
        (Signal::QUIT, "QUIT"),
        (Signal::ABORT, "ABRT"),
        (Signal::KILL, "KILL"),
        (Signal::SEGV, "SEGV"),
        (Signal::PIPE, "PIPE"),
        (Signal::ALARM, "ALRM"),
        (Signal::TERM, "TERM"),
        (Signal::USR1, "USR1"),
        (Signal::USR2, "USR2"),
    ];
    named
        .iter()
        .find(|(s, _)| s.as_raw() == signo)
        .map_or(signo.to_string(), |(_, n)| (*n).to_string())
}

impl Supervisor<'_> {
    fn say(&mut self, what: fmt::Arguments<'_>) -> io::Result<()> {
        writeln!(self.out, "[supervisor] {what}")
    }

    /// Starts child `i`, or schedules a retry if it cannot be started.
    fn start(&mut self, i: usize) -> io::Result<()> {
        match self.spawn(i) {
            Ok(running) => {
                let pid = running.pid;
                self.children[i].state = State::Running(running);
                self.say(format_args!("{i} started: pid {pid}"))
            }
            Err(e) => {
                self.say(format_args!("{i} failed to start: {e}"))?;
                self.retry(i)
            }
        }
    }

    fn spawn(&mut self, i: usize) -> io::Result<Running> {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(&self.children[i].command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // A child inherits the signal mask, and std's Command keeps it: the
        // child would ignore the TERM and INT the supervisor blocks for its
        // SignalFd. Give it back the mask the supervisor started with.
        let mask = self.child_mask;
        // SAFETY: the closure runs between fork and exec, where only
        // async-signal-safe calls are allowed: it makes one system call
        // (rt_sigprocmask, through rawepoll), allocates nothing and takes
        // no lock.
        unsafe {
            command.pre_exec(move || set_signal_mask(&mask).map(drop).map_err(io::Error::from));
        }
        let mut child = command.spawn()?;
        // Not waited for, so the pid cannot be reused before the PidFd
        // reaps it.
        let opened = Pid::from_raw(child.id() as i32)
            .ok_or(Errno::SRCH)
            .and_then(PidFd::open);
        let pidfd = match opened {
            Ok(fd) => fd,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e.into());
            }
        };
        let pipes = [
            child.stdout.take().map(OwnedFd::from),
            child.stderr.take().map(OwnedFd::from),
        ];
        let pipes = pipes.map(|fd| {
            fd.map(|fd| Pipe {
                file: File::from(fd),
                line: Vec::new(),
            })
        });
        // Registered last: dropping any of these closes it, and a closed
        // fd leaves the epoll by itself.
        for (k, pipe) in pipes.iter().enumerate() {
            let pipe = pipe.as_ref().expect("a piped stream");
            set_nonblocking(&pipe.file, true)?;
            self.epoll
                .add(&pipe.file, token(i, k), Interest::READABLE)?;
        }
        self.epoll.add(&pidfd, token(i, 2), Interest::READABLE)?;
        Ok(Running {
            pid: child.id(),
            pidfd,
            pipes,
            started: Instant::now(),
        })
    }

    /// Prints the whole lines pipe `k` of child `i` holds now; at end of
    /// file, or with `all`, the partial line too. Closes it at end of file.
    fn output(&mut self, i: usize, k: usize, all: bool) -> io::Result<()> {
        let State::Running(running) = &mut self.children[i].state else {
            return Ok(());
        };
        let Some(pipe) = running.pipes[k].as_mut() else {
            return Ok(());
        };
        let prefix = format!("[{i} {}] ", ["out", "err"][k]);
        let mut buf = [0u8; 16 * 1024];
        let open = loop {
            match pipe.file.read(&mut buf) {
                Ok(0) => break false,
                Ok(n) => {
                    pipe.line.extend_from_slice(&buf[..n]);
                    while let Some(end) = pipe.line.iter().position(|&b| b == b'\n') {
                        self.out.write_all(prefix.as_bytes())?;
                        self.out.write_all(&pipe.line[..=end])?;
                        pipe.line.drain(..=end);
                    }
                    if pipe.line.len() >= MAX_LINE {
                        self.out.write_all(prefix.as_bytes())?;
                        self.out.write_all(&pipe.line)?;
                        self.out.write_all(b"\n")?;
                        pipe.line.clear();
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if (!open || all) && !pipe.line.is_empty() {
            self.out.write_all(prefix.as_bytes())?;
            self.out.write_all(&pipe.line)?;
            self.out.write_all(b"\n")?;
            pipe.line.clear();
        }
        if !open {
            let pipe = running.pipes[k].take().expect("the open pipe");
            self.epoll.delete(&pipe.file)?;
        }
        Ok(())
    }

    /// Child `i`'s pidfd is readable: it has exited.
    fn reap(&mut self, i: usize) -> io::Result<()> {
        let State::Running(running) = &self.children[i].state else {
            return Ok(());
        };
        let Some(status) = running.pidfd.try_wait()? else {
            return Ok(());
        };
        let ran = running.started.elapsed();
        // What it wrote before it exited comes first.
        self.output(i, 0, true)?;
        self.output(i, 1, true)?;
        let State::Running(running) = std::mem::replace(&mut self.children[i].state, State::Done)
        else {
            unreachable!("checked above");
        };
        self.epoll.delete(&running.pidfd)?;
        for pipe in running.pipes.iter().flatten() {
            self.epoll.delete(&pipe.file)?;
        }
        drop(running);
        let how = match status {
            ExitStatus::Exited(code) => format!("exited with status {code}"),
            ExitStatus::Signaled { signal, .. } => {
                format!("killed by signal {}", signal_name(signal))
            }
        };
        self.say(format_args!("{i} {how} after {} ms", ran.as_millis()))?;
        if self.stopping || status == ExitStatus::Exited(0) {
            return Ok(());
        }
        if ran >= self.o.stable {
            self.children[i].backoff = self.o.backoff;
        }
        self.retry(i)
    }

    /// Schedules child `i`'s restart after its back-off, and doubles it.
    fn retry(&mut self, i: usize) -> io::Result<()> {
        let delay = self.children[i].backoff;
        self.children[i].backoff = (delay * 2).min(self.o.max_backoff.max(self.o.backoff));
        let handle = self
            .timers
            .insert_after(delay, Due::Restart(i))
            .map_err(|full| full.errno())?;
        self.children[i].state = State::Waiting(handle);
        self.say(format_args!("{i} restarting in {} ms", delay.as_millis()))
    }

    /// SIGTERM or SIGINT.
    fn signal(&mut self, signo: i32) -> io::Result<()> {
        let name = signal_name(signo);
        if self.stopping {
            self.say(format_args!("SIG{name} again: KILL"))?;
            return self.kill_all();
        }
        self.stopping = true;
        self.say(format_args!(
            "SIG{name}: stopping, TERM now, KILL after {} ms",
            self.o.grace.as_millis()
        ))?;
        for child in &mut self.children {
            match &child.state {
                State::Waiting(handle) => {
                    self.timers.cancel(*handle);
                    child.state = State::Done;
                }
                // ESRCH: it has exited and waits to be reaped.
                State::Running(r) => match r.pidfd.send_signal(Signal::TERM) {
                    Ok(()) | Err(Errno::SRCH) => {}
                    Err(e) => return Err(e.into()),
                },
                State::Done => {}
            }
        }
        self.timers
            .insert_after(self.o.grace, Due::Grace)
            .map_err(|full| full.errno())?;
        Ok(())
    }

    fn kill_all(&mut self) -> io::Result<()> {
        for i in 0..self.children.len() {
            if let State::Running(r) = &self.children[i].state {
                match r.pidfd.send_signal(Signal::KILL) {
                    Ok(()) | Err(Errno::SRCH) => {}
                    Err(e) => return Err(e.into()),
                }
                self.say(format_args!("{i} still running: KILL"))?;
            }
        }
        Ok(())
    }
}

/// Supervises `o.commands` until none is left; the supervisor's exit
/// status.
pub fn run(o: &Options) -> io::Result<()> {
    // Blocked before any child or thread exists.
    let old_mask = block_signals(&HANDLED)?;
    let signals = SignalFd::new(&HANDLED)?;
    let epoll = Epoll::new()?;
    epoll.add(&signals, SIGNALS, Interest::READABLE)?;
    let mut sup = Supervisor {
        o,
        epoll,
        timers: TimerSet::new(),
        children: o
            .commands
            .iter()
            .map(|command| Child {
                command: command.clone(),
                state: State::Done,
                backoff: o.backoff,
            })
            .collect(),
        out: io::stdout().lock(),
        stopping: false,
        child_mask: old_mask,
    };
    for i in 0..sup.children.len() {
        sup.start(i)?;
    }
    let mut events = Events::<64>::new();
    while sup.children.iter().any(|c| !matches!(c.state, State::Done)) {
        sup.out.flush()?;
        match sup.epoll.wait(&mut events, sup.timers.timeout()) {
            Ok(_) => {}
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
        for event in &events {
            if event.token() == SIGNALS {
                while let Some(info) = signals.read()? {
                    sup.signal(info.signal())?;
                }
                continue;
            }
            let (i, k) = (
                (event.token().0 / 3) as usize,
                (event.token().0 % 3) as usize,
            );
            if k == 2 {
                sup.reap(i)?;
            } else {
                sup.output(i, k, false)?;
            }
        }
        let now = sup.timers.now();
        while let Some((_, due)) = sup.timers.pop_expired(now) {
            match due {
                Due::Restart(i) => sup.start(i)?,
                Due::Grace => sup.kill_all()?,
            }
        }
    }
    sup.say(format_args!("no child left"))?;
    sup.out.flush()?;
    set_signal_mask(&old_mask)?;
    Ok(())
}

fn main() -> ExitCode {
    let o = match parse_args(std::env::args().skip(1)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("supervisor: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("supervisor: {e}");
            ExitCode::FAILURE
        }
    }
}
