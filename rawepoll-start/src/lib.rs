//! What a `#![no_std]`, `#![no_main]`, no-libc static Linux program needs
//! besides its own code, in one dependency:
//!
//! * [`main!`]: the process entry point, `_start`, for x86_64, i686,
//!   aarch64, armv7 and riscv64, which hands your function the command line
//!   ([`Args`]) and the environment ([`Env`]) and exits with what it returns;
//! * [`exit`]: `exit_group(2)`, the way out (there is no C runtime to return
//!   to);
//! * [`stdout`] and [`stderr`]: `write(2)` of a whole byte string, for
//!   messages;
//! * the C memory functions the compiler emits calls to (`memcpy`,
//!   `memmove`, `memset`, `memcmp`, `bcmp`, `strlen`), which libc would
//!   otherwise provide: moving a large value or zeroing a buffer calls them,
//!   in your code or in a library's (rawepoll's `Registry` does);
//! * the symbols a precompiled `core` names on some architectures
//!   (`rust_eh_personality` on armv7, `getauxval` on aarch64);
//! * with the default `panic-handler` feature, a `#[panic_handler]` that
//!   writes `panicked` to stderr and exits 101, as a std program does.
//!
//! Every system call is a `syscall` instruction in your binary (through
//! the `syscalls` crate), never libc.
//!
//! # A program
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//!
//! rawepoll_start::main!(main);
//!
//! fn main(args: rawepoll_start::Args, env: rawepoll_start::Env) -> i32 {
//!     rawepoll_start::stdout(b"hello from ");
//!     rawepoll_start::stdout(args.get(0).unwrap_or(b"?"));
//!     rawepoll_start::stdout(b"\n");
//!     if env.get(b"QUIET").is_some() { 1 } else { 0 }
//! }
//! ```
//!
//! It links with no C runtime: `-nostartfiles -nostdlib`, static, no PIE.
//! The rawepoll README's section "A no_main program" has the whole recipe
//! (`Cargo.toml`, `.cargo/config.toml`, `src/main.rs`); `cargo build
//! --release` in that directory is the whole build.
//!
//! # Safety
//!
//! The crate's `unsafe` is in two files: `raw.rs` (reading the kernel's
//! process stack, `exit_group`) and `mem.rs` (the C memory functions), each
//! block with its `// SAFETY:` comment.
#![no_std]
#![deny(missing_docs)]
#![deny(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![warn(missing_debug_implementations)]

#[allow(unsafe_code)]
mod mem;
#[allow(unsafe_code)]
mod raw;

pub use raw::{exit, stderr, stdout, Args, ArgsIter, Env, EnvIter};

#[doc(hidden)]
pub use raw::__args;

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

/// The default panic handler: `panicked` on stderr, exit status 101.
#[cfg(all(feature = "panic-handler", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    stderr(b"panicked\n");
    exit(101)
}
