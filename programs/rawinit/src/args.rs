//! The command line: `rawinit [options] [--] PROGRAM [ARGS...]`.

pub use rawepoll_start::{Args, Env};

/// What the command line asks for.
pub struct Options {
    /// `-g`: forward signals to the child's process group.
    pub group: bool,
    /// `-s`: become a child subreaper when not PID 1.
    pub subreaper: bool,
    /// `-v`: say what is forwarded and reaped, on stderr.
    pub verbose: bool,
    /// `-w`: warn when an orphan (not the child) is reaped.
    pub warn_reap: bool,
    /// `-p SIGNAL`: the signal rawinit gets when its parent dies (0: none).
    pub parent_death: i32,
    /// `TINI_VERBOSITY=0`: no warnings.
    pub quiet: bool,
    /// `-r S:R` (dumb-init's): signal S forwarded as R; 0 drops it.
    /// Index: the signal received (1-64); 0xff: unchanged.
    pub rewrite: [u8; 65],
    /// `-e CODE`: exit codes of the child mapped to 0.
    pub remap: [bool; 256],
    /// Index in argv of PROGRAM.
    pub program: usize,
}

/// The outcome of parsing.
// Made once and matched at once; with no allocator there is nothing to box.
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    Run(Options),
    Help,
    Version,
    /// A usage error: the message and the argument it is about.
    Usage(&'static str, &'static [u8]),
}

pub const USAGE: &str = concat!(
    "usage: rawinit [-gsvw] [-p SIG] [-r S:R]... [-e CODE]... [--] PROGRAM [ARGS...]\n",
    "Runs PROGRAM, forwards it every signal, reaps zombies, exits with its\n",
    "code (128+N if signal N killed it).\n",
    "  -g       forward to the child's process group\n",
    "  -s       be the child subreaper when not PID 1\n",
    "  -e CODE  exit 0 when the child exits with CODE (repeatable)\n",
    "  -p SIG   get SIG when rawinit's parent dies (e.g. SIGKILL)\n",
    "  -r S:R   forward signal S as R; R 0 drops it (repeatable)\n",
    "  -w       warn when an orphaned zombie is reaped\n",
    "  -v       say what is forwarded and reaped\n",
    "  -h -V    help, version\n",
    "TINI_SUBREAPER is -s, TINI_KILL_PROCESS_GROUP -g, TINI_VERBOSITY=0 quiet, 2 -v\n",
    "As PID 1 with no PROGRAM (or named init): a board init reading /etc/inittab.\n",
);

/// Signal names `-p` takes (with or without `SIG`), NUL-padded to 5 bytes
/// (no pointers: a smaller table), and their numbers on this architecture.
const SIGNALS: [([u8; 5], u8); 15] = {
    use linux_raw_sys::general as g;
    [
        (*b"HUP\0\0", g::SIGHUP as u8),
        (*b"INT\0\0", g::SIGINT as u8),
        (*b"QUIT\0", g::SIGQUIT as u8),
        (*b"ABRT\0", g::SIGABRT as u8),
        (*b"KILL\0", g::SIGKILL as u8),
        (*b"USR1\0", g::SIGUSR1 as u8),
        (*b"SEGV\0", g::SIGSEGV as u8),
        (*b"USR2\0", g::SIGUSR2 as u8),
        (*b"PIPE\0", g::SIGPIPE as u8),
        (*b"ALRM\0", g::SIGALRM as u8),
        (*b"TERM\0", g::SIGTERM as u8),
        (*b"CONT\0", g::SIGCONT as u8),
        (*b"STOP\0", g::SIGSTOP as u8),
        (*b"TSTP\0", g::SIGTSTP as u8),
        (*b"WINCH", g::SIGWINCH as u8),
    ]
};

/// `Options::rewrite`: the signal is forwarded as it came.
pub const UNCHANGED: u8 = 0xff;

/// `S:R`: signal numbers, S from 1 to 64, R from 0 (drop) to 64.
fn parse_rewrite(s: &[u8]) -> Option<(usize, u8)> {
    let colon = s.iter().position(|&b| b == b':')?;
    let from = parse_code(&s[..colon]).filter(|n| (1..=64).contains(n))?;
    let to = parse_code(&s[colon + 1..]).filter(|n| *n <= 64)?;
    Some((from, to as u8))
}

/// `SIGKILL`, `KILL` or a number from 1 to 31.
fn parse_signal(s: &[u8]) -> Option<i32> {
    let name = s.strip_prefix(b"SIG").unwrap_or(s);
    if (1..=5).contains(&name.len()) {
        let mut key = [0u8; 5];
        key[..name.len()].copy_from_slice(name);
        if let Some((_, n)) = SIGNALS.iter().find(|(n, _)| *n == key) {
            return Some(i32::from(*n));
        }
    }
    parse_code(s)
        .filter(|n| (1..32).contains(n))
        .map(|n| n as i32)
}

/// tini's environment variables, read before the command line (which
/// only adds to them).
fn apply_env(env: Env, o: &mut Options) {
    for var in env.iter() {
        if var.starts_with(b"TINI_SUBREAPER=") {
            o.subreaper = true;
        } else if var.starts_with(b"TINI_KILL_PROCESS_GROUP=") {
            o.group = true;
        } else if let Some(v) = var.strip_prefix(b"TINI_VERBOSITY=") {
            match parse_code(v) {
                Some(0) => o.quiet = true,
                Some(n) if n >= 2 => o.verbose = true,
                _ => {}
            }
        }
    }
}

fn parse_code(s: &[u8]) -> Option<usize> {
    if s.is_empty() || s.len() > 3 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = s.iter().fold(0usize, |v, d| v * 10 + usize::from(d - b'0'));
    (v <= 255).then_some(v)
}

/// Parses the environment (tini's variables) and the command line.
pub fn parse(args: Args, env: Env) -> Parsed {
    let mut o = Options {
        group: false,
        subreaper: false,
        verbose: false,
        warn_reap: false,
        parent_death: 0,
        rewrite: [UNCHANGED; 65],
        quiet: false,
        remap: [false; 256],
        program: 0,
    };
    apply_env(env, &mut o);
    let mut i = 1;
    while let Some(arg) = args.get(i) {
        match arg {
            b"--" => {
                i += 1;
                break;
            }
            b"--help" => return Parsed::Help,
            b"--version" => return Parsed::Version,
            _ if arg.len() > 1 && arg[0] == b'-' && arg[1] != b'-' => {
                // A cluster of short options, getopt style: -gsv, -e3, -e 3.
                let mut k = 1;
                while k < arg.len() {
                    match arg[k] {
                        b'g' => o.group = true,
                        b's' => o.subreaper = true,
                        b'v' => o.verbose = true,
                        b'w' => o.warn_reap = true,
                        b'h' => return Parsed::Help,
                        b'V' => return Parsed::Version,
                        // The options with a value: the rest of this
                        // argument (-e3), or the next one (-e 3).
                        opt @ (b'e' | b'p' | b'r') => {
                            let value = if k + 1 < arg.len() {
                                &arg[k + 1..]
                            } else {
                                i += 1;
                                match args.get(i) {
                                    Some(v) => v,
                                    None => {
                                        return Parsed::Usage("this option needs a value:", arg)
                                    }
                                }
                            };
                            let ok = match opt {
                                b'e' => parse_code(value).map(|code| o.remap[code] = true),
                                b'p' => parse_signal(value).map(|sig| o.parent_death = sig),
                                _ => parse_rewrite(value).map(|(from, to)| o.rewrite[from] = to),
                            };
                            if ok.is_none() {
                                return Parsed::Usage(
                                    "-e takes an exit code (0-255), -p a signal (SIGKILL, 9), -r S:R; not",
                                    value,
                                );
                            }
                            break;
                        }
                        _ => return Parsed::Usage("unknown option", arg),
                    }
                    k += 1;
                }
                i += 1;
            }
            _ if arg.starts_with(b"--") => return Parsed::Usage("unknown option", arg),
            _ => break,
        }
    }
    if args.get(i).is_none() {
        return Parsed::Usage("no PROGRAM to run", b"");
    }
    o.program = i;
    Parsed::Run(o)
}
