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
    "usage: rawinit [-g] [-s] [-v] [-e CODE]... [--] PROGRAM [ARGS...]\n",
    "\n",
    "Runs PROGRAM as its child, forwards every signal it gets to it, reaps\n",
    "zombies, and exits with the child's exit code (128 + N if a signal N\n",
    "killed it).\n",
    "\n",
    "  -g             send forwarded signals to the child's whole process group\n",
    "  -s             register as the child subreaper when not running as PID 1\n",
    "  -e CODE        exit 0 when the child exits with CODE (0-255; repeatable)\n",
    "  -v             say what is forwarded and reaped, on stderr\n",
    "  -h, --help     this help\n",
    "  -V, --version  the version\n",
);

fn parse_code(s: &[u8]) -> Option<usize> {
    if s.is_empty() || s.len() > 3 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = s.iter().fold(0usize, |v, d| v * 10 + usize::from(d - b'0'));
    (v <= 255).then_some(v)
}

/// Parses the command line.
pub fn parse(args: Args) -> Parsed {
    let mut o = Options {
        group: false,
        subreaper: false,
        verbose: false,
        remap: [false; 256],
        program: 0,
    };
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
