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
//! The crate's `unsafe` is in two files: `raw.rs` (the entry point and
//! reading the kernel's process stack, `exit_group`, `write`) and `mem.rs`
//! (the C memory functions), each block with its `// SAFETY:` comment.
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

/// The default panic handler: `panicked` on stderr, exit status 101.
#[cfg(all(feature = "panic-handler", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    stderr(b"panicked\n");
    exit(101)
}
