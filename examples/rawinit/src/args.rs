//! The command line: `rawinit [options] [--] PROGRAM [ARGS...]`.

/// The command line as the kernel laid it out: read on demand, nothing
/// copied (a copied array would cost stack pages, that is, memory).
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const u8,
}

impl Args {
    /// # Safety
    /// `argv` must point to `argc` pointers to NUL-terminated strings that
    /// live as long as the process (the kernel's argv at entry).
    pub unsafe fn new(argc: usize, argv: *const *const u8) -> Args {
        Args { argc, argv }
    }

    /// Argument `i`, without its NUL.
    pub fn get(&self, i: usize) -> Option<&'static [u8]> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: i < argc, and the contract of `new`.
        Some(unsafe { core::ffi::CStr::from_ptr((*self.argv.add(i)).cast()) }.to_bytes())
    }

    /// The raw argv array.
    pub fn raw(&self) -> *const *const u8 {
        self.argv
    }
}

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
    "usage: rawinit [-g] [-s] [-v] [-w] [-p SIGNAL] [-e CODE]... [--] PROGRAM [ARGS...]\n",
    "\n",
    "Runs PROGRAM as its child, forwards every signal it gets to it, reaps\n",
    "zombies, and exits with the child's exit code (128 + N if a signal N\n",
    "killed it).\n",
    "\n",
    "  -g             send forwarded signals to the child's whole process group\n",
    "  -s             register as the child subreaper when not running as PID 1\n",
    "  -e CODE        exit 0 when the child exits with CODE (0-255; repeatable)\n",
    "  -p SIGNAL      get SIGNAL (and forward it) when rawinit's parent dies,\n",
    "                 e.g. -p SIGKILL (prctl PR_SET_PDEATHSIG)\n",
    "  -w             warn on stderr when an orphaned zombie is reaped\n",
    "  -v             say what is forwarded and reaped, on stderr\n",
    "  -h, --help     this help\n",
    "  -V, --version  the version\n",
    "\n",
    "As with tini: TINI_SUBREAPER (any value) is -s, TINI_KILL_PROCESS_GROUP\n",
    "is -g, TINI_VERBOSITY=0 silences warnings and 2 or more is -v.\n",
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
fn apply_env(envp: *const *const u8, o: &mut Options) {
    let mut i = 0;
    loop {
        // SAFETY: the kernel's environment block: NUL-terminated strings,
        // ended by a NULL pointer, alive as long as the process.
        let p = unsafe { *envp.add(i) };
        if p.is_null() {
            return;
        }
        // SAFETY: as above.
        let var = unsafe { core::ffi::CStr::from_ptr(p.cast()) }.to_bytes();
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
        i += 1;
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
pub fn parse(args: Args, envp: *const *const u8) -> Parsed {
    let mut o = Options {
        group: false,
        subreaper: false,
        verbose: false,
        warn_reap: false,
        parent_death: 0,
        quiet: false,
        remap: [false; 256],
        program: 0,
    };
    apply_env(envp, &mut o);
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
                        b'p' => {
                            let value = if k + 1 < arg.len() {
                                &arg[k + 1..]
                            } else {
                                i += 1;
                                match args.get(i) {
                                    Some(v) => v,
                                    None => return Parsed::Usage("-p needs a signal", b""),
                                }
                            };
                            match parse_signal(value) {
                                Some(sig) => o.parent_death = sig,
                                None => {
                                    return Parsed::Usage(
                                        "-p takes a signal name (SIGKILL) or number, not",
                                        value,
                                    )
                                }
                            }
                            break;
                        }
                        b'h' => return Parsed::Help,
                        b'V' => return Parsed::Version,
                        b'e' => {
                            let value = if k + 1 < arg.len() {
                                &arg[k + 1..]
                            } else {
                                i += 1;
                                match args.get(i) {
                                    Some(v) => v,
                                    None => return Parsed::Usage("-e needs an exit code", b""),
                                }
                            };
                            match parse_code(value) {
                                Some(code) => o.remap[code] = true,
                                None => {
                                    return Parsed::Usage(
                                        "-e takes an exit code from 0 to 255, not",
                                        value,
                                    )
                                }
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
