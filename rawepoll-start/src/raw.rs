//! The process as the kernel starts it: the command line and environment on
//! the initial stack, `exit_group`, and `write` for messages. With `mem.rs`,
//! the only file of the crate with `unsafe`.

use core::ffi::CStr;

/// The command line and environment found at `stack`. Called by the
/// `_start` that [`main!`] defines; not for direct use.
///
/// # Safety
///
/// `stack` must be the stack pointer as the kernel left it at process
/// entry: `argc`, then `argc` pointers to NUL-terminated strings, a NULL,
/// then the environment's pointers, NULL-ended, all of it alive for the
/// whole process.
///
/// [`main!`]: crate::main!
#[doc(hidden)]
#[inline(always)]
pub unsafe fn __args(stack: *const usize) -> (Args, Env) {
    // SAFETY: the caller's contract: the word at `stack` is argc, the argv
    // array follows it, and the environment array follows argv's NULL.
    unsafe {
        let argc = *stack;
        let argv = stack.add(1).cast::<*const u8>();
        (
            Args { argc, argv },
            Env {
                envp: argv.add(argc + 1),
            },
        )
    }
}

/// The command line (`argv`) as the kernel laid it out: read in place,
/// nothing copied, every string `'static`.
///
/// ```ignore
/// fn main(args: rawepoll_start::Args, _: rawepoll_start::Env) -> i32 {
///     for arg in args.iter().skip(1) {
///         rawepoll_start::stdout(arg);
///         rawepoll_start::stdout(b"\n");
///     }
///     0
/// }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Args {
    argc: usize,
    argv: *const *const u8,
}

impl Args {
    /// How many arguments there are (`argc`), the program's name included.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.argc
    }

    /// Whether there is no argument at all, not even the program's name
    /// (a parent may `execve` with an empty `argv`).
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.argc == 0
    }

    /// Argument `i` without its NUL (0 is the program's name), or `None`
    /// past the end.
    #[inline]
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&'static [u8]> {
        self.get_cstr(i).map(CStr::to_bytes)
    }

    /// Argument `i` with its NUL, as the kernel wrote it.
    #[inline]
    #[must_use]
    pub fn get_cstr(&self, i: usize) -> Option<&'static CStr> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: i < argc: argv[i] is one of the kernel's pointers to a
        // NUL-terminated string that lives for the whole process (the
        // contract of `__start`, the only place an `Args` is made).
        Some(unsafe { CStr::from_ptr((*self.argv.add(i)).cast()) })
    }

    /// The arguments in order, each without its NUL.
    #[inline]
    #[must_use]
    pub fn iter(&self) -> ArgsIter {
        ArgsIter {
            args: *self,
            next: 0,
        }
    }

    /// The arguments from `n` on (none when `n` is past the end), still
    /// a NULL-ended array in place: the command line of a program that a
    /// wrapper runs, `exec`'d with [`as_ptr`](Args::as_ptr).
    #[inline]
    #[must_use]
    pub fn skip(&self, n: usize) -> Args {
        let n = n.min(self.argc);
        Args {
            argc: self.argc - n,
            // SAFETY: n <= argc, so this points into the argv array or at
            // its NULL, within the kernel's block.
            argv: unsafe { self.argv.add(n) },
        }
    }

    /// The NULL-ended `argv` array itself, for `execve(2)`.
    #[inline]
    #[must_use]
    pub fn as_ptr(&self) -> *const *const u8 {
        self.argv
    }
}

impl IntoIterator for Args {
    type Item = &'static [u8];
    type IntoIter = ArgsIter;
    #[inline]
    fn into_iter(self) -> ArgsIter {
        self.iter()
    }
}

/// The arguments in order, from [`Args::iter`].
#[derive(Clone, Debug)]
pub struct ArgsIter {
    args: Args,
    next: usize,
}

impl Iterator for ArgsIter {
    type Item = &'static [u8];
    #[inline]
    fn next(&mut self) -> Option<&'static [u8]> {
        let arg = self.args.get(self.next)?;
        self.next += 1;
        Some(arg)
    }
}

/// The environment (`envp`) as the kernel laid it out: `NAME=value`
/// strings, read in place.
///
/// ```ignore
/// fn main(_: rawepoll_start::Args, env: rawepoll_start::Env) -> i32 {
///     let path = env.get(b"PATH").unwrap_or(b"/usr/bin:/bin");
///     rawepoll_start::stdout(path);
///     0
/// }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Env {
    envp: *const *const u8,
}

impl Env {
    /// The value of variable `name` (the first `name=` entry), without its
    /// NUL, or `None` when it is not set.
    #[must_use]
    pub fn get(&self, name: &[u8]) -> Option<&'static [u8]> {
        self.iter().find_map(|entry| {
            entry
                .strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(b"="))
        })
    }

    /// Every `NAME=value` entry, in order, without its NUL.
    #[inline]
    #[must_use]
    pub fn iter(&self) -> EnvIter {
        EnvIter { next: self.envp }
    }

    /// The NULL-ended `envp` array itself, for `execve(2)`.
    #[inline]
    #[must_use]
    pub fn as_ptr(&self) -> *const *const u8 {
        self.envp
    }
}

/// The environment's entries in order, from [`Env::iter`].
#[derive(Clone, Debug)]
pub struct EnvIter {
    next: *const *const u8,
}

impl Iterator for EnvIter {
    type Item = &'static [u8];
    #[inline]
    fn next(&mut self) -> Option<&'static [u8]> {
        // SAFETY: `next` points into the kernel's NULL-ended envp array
        // (the contract of `__start`, the only place an `Env` is made), and
        // never past its NULL: it advances only after a non-NULL entry.
        let entry = unsafe { *self.next };
        if entry.is_null() {
            return None;
        }
        // SAFETY: as above: not past the NULL, which is still ahead.
        self.next = unsafe { self.next.add(1) };
        // SAFETY: a non-NULL entry is one of the kernel's NUL-terminated
        // strings, alive for the whole process.
        Some(unsafe { CStr::from_ptr(entry.cast()) }.to_bytes())
    }
}

/// `exit_group(code)`—Ends the process with status `code & 0xff`: the way
/// out of a program that has no C runtime to return to. Every thread ends;
/// nothing is flushed or run (there is nothing to flush).
///
/// # References
///  - [exit_group(2)](https://man7.org/linux/man-pages/man2/exit_group.2.html)
#[doc(alias = "exit_group")]
pub fn exit(code: i32) -> ! {
    // SAFETY: exit_group ends the process and touches no memory of ours.
    // The kernel reads an `int`, the low 32 bits: zero-extended (one
    // instruction fewer than sign-extension).
    let _ = unsafe { syscalls::syscall1(syscalls::Sysno::exit_group, code as u32 as usize) };
    // exit_group does not return.
    loop {
        core::hint::spin_loop();
    }
}

/// `write(1, bytes)` until all are written—Best effort, for messages: a
/// closed or broken stdout drops the text, `EINTR` is retried.
///
/// # References
///  - [write(2)](https://man7.org/linux/man-pages/man2/write.2.html)
#[inline]
pub fn stdout(bytes: &[u8]) {
    write_all(1, bytes);
}

/// `write(2, bytes)` until all are written—Best effort, as [`stdout`].
#[inline]
pub fn stderr(bytes: &[u8]) {
    write_all(2, bytes);
}

fn write_all(fd: usize, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a live slice the kernel only reads, its length
        // passed with it; fds 1 and 2 are only lent to write(2) for this
        // call (closed: the kernel answers EBADF and the text is dropped).
        let answer = unsafe {
            syscalls::syscall3(
                syscalls::Sysno::write,
                fd,
                bytes.as_ptr() as usize,
                bytes.len(),
            )
        };
        match answer {
            Ok(0) => return,
            Ok(n) => bytes = &bytes[n.min(bytes.len())..],
            Err(syscalls::Errno::EINTR) => {}
            Err(_) => return,
        }
    }
}
