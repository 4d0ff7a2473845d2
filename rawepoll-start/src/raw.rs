//! The process as the kernel starts it: the entry point ([`main!`]), the
//! command line and environment on the initial stack, `exit_group`, and
//! `write` for messages. With `mem.rs`, the only file of the crate with
//! `unsafe`.
//!
//! [`main!`]: crate::main!

use core::ffi::CStr;

/// Defines the process entry point, `_start`, which calls `$main(args,
/// env)` and exits with the `i32` it returns (its low 8 bits are the exit
/// status the parent sees).
///
/// `$main` is a path to a `fn(Args, Env) -> i32`. Use the macro once, at
/// the crate root of a `#![no_main]` binary. For the smallest program,
/// mark `$main` `#[inline(always)]`: the whole program then sits in the
/// entry point, with no call and no unwind-table entry of its own (here:
/// the minimal rawepoll program 1,064 → 1,032 bytes, rawinit 11,080 →
/// 10,536).
///
/// `_start` clears the frame pointer (and the return address where it is a
/// register), passes the stack pointer the kernel left (at `argc`, then
/// the argv pointers, a NULL, the environment pointers, a NULL), and aligns
/// the stack to 16 bytes as every supported ABI wants at a call. It is
/// written for x86_64, i686, aarch64, armv7 and riscv64; another
/// architecture is a compile error.
///
/// ```ignore
/// #![no_std]
/// #![no_main]
/// rawepoll_start::main!(run);
/// fn run(args: rawepoll_start::Args, _env: rawepoll_start::Env) -> i32 {
///     args.len() as i32
/// }
/// ```
#[macro_export]
macro_rules! main {
    ($main:path) => {
        /// Called by `_start` with the kernel's stack pointer.
        extern "C" fn __rawepoll_start_entry(stack: *const usize) -> ! {
            // SAFETY: `_start` below passes the stack pointer exactly as
            // the kernel left it at process entry, and nothing else calls
            // this function.
            let (args, env) = unsafe { $crate::__args(stack) };
            $crate::exit($main(args, env))
        }

        #[cfg(target_arch = "x86_64")]
        ::core::arch::global_asm!(
            ".globl _start",
            "_start:",
            "xor ebp, ebp",
            "mov rdi, rsp",
            "and rsp, -16",
            "call {entry}",
            "ud2",
            entry = sym __rawepoll_start_entry,
        );

        // i386 System V: the argument on the stack, which is 16-byte
        // aligned at the call (12 bytes of padding, then the argument).
        #[cfg(target_arch = "x86")]
        ::core::arch::global_asm!(
            ".globl _start",
            "_start:",
            "xor ebp, ebp",
            "mov eax, esp",
            "and esp, -16",
            "sub esp, 12",
            "push eax",
            "call {entry}",
            "ud2",
            entry = sym __rawepoll_start_entry,
        );

        // AAPCS64: the kernel leaves sp 16-byte aligned; x29 is the frame
        // pointer and x30 the link register.
        #[cfg(target_arch = "aarch64")]
        ::core::arch::global_asm!(
            ".globl _start",
            "_start:",
            "mov x29, #0",
            "mov x30, #0",
            "mov x0, sp",
            "bl {entry}",
            "udf #0",
            entry = sym __rawepoll_start_entry,
        );

        // AAPCS (armv7): r11 is the frame pointer in ARM state, lr the link
        // register; 8-byte alignment is the ABI's, 16 costs nothing.
        #[cfg(target_arch = "arm")]
        ::core::arch::global_asm!(
            ".globl _start",
            "_start:",
            "mov r11, #0",
            "mov lr, #0",
            "mov r0, sp",
            "bic sp, sp, #15",
            "bl {entry}",
            "udf #0",
            entry = sym __rawepoll_start_entry,
        );

        // RISC-V: set the global pointer first (the linker may relax
        // accesses near it into gp-relative ones), without letting that
        // very load be relaxed.
        #[cfg(target_arch = "riscv64")]
        ::core::arch::global_asm!(
            ".globl _start",
            "_start:",
            ".option push",
            ".option norelax",
            "lla gp, __global_pointer$",
            ".option pop",
            "li s0, 0",
            "li ra, 0",
            "mv a0, sp",
            "andi sp, sp, -16",
            "call {entry}",
            "unimp",
            entry = sym __rawepoll_start_entry,
        );

        #[cfg(not(any(
            target_arch = "x86_64",
            target_arch = "x86",
            target_arch = "aarch64",
            target_arch = "arm",
            target_arch = "riscv64"
        )))]
        ::core::compile_error!(
            "rawepoll_start::main! has a _start for x86_64, i686, aarch64, armv7 and riscv64"
        );
    };
}

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
