//! The process entry point of the no_main example programs (included by
//! examples/minimal and examples/rawinit with `#[path]`).
//!
//! The kernel jumps to `_start` with the stack holding argc, the argv
//! pointers, a NULL, the environment pointers and a NULL. Clear the frame
//! pointer (the end of the call chain), pass the stack pointer, align the
//! stack to 16 bytes as the ABI wants at a call, and call the crate's
//! `entry(stack: *const usize) -> !`, which never returns.

#[cfg(not(target_arch = "x86_64"))]
compile_error!("the example programs have a _start for x86_64 only");

core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "xor ebp, ebp",
    "mov rdi, rsp",
    "and rsp, -16",
    "call {entry}",
    "ud2",
    entry = sym crate::entry,
);
