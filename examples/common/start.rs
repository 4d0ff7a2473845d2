//! The process entry point of the no_main example programs (included by
//! examples/minimal, examples/rawinit and examples/async_echo_nostd with
//! `#[path]`), for x86_64, i686, aarch64, armv7 and riscv64, and the way
//! out, [`exit`].
//!
//! The kernel jumps to `_start` with the stack pointer at argc, followed by
//! the argv pointers, a NULL, the environment pointers and a NULL. Each
//! `_start` below ends the frame-pointer chain (and the return address,
//! where it is a register), passes that stack pointer as the first
//! argument, aligns the stack to 16 bytes as the ABI wants at a call, and
//! calls the crate's `extern "C" fn entry(stack: *const usize) -> !`, which
//! never returns (a trapping instruction follows, in case).

#[cfg(target_arch = "x86_64")]
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

// i386 System V: the argument on the stack, which is 16-byte aligned at
// the call (12 bytes of padding, then the 4-byte argument).
#[cfg(target_arch = "x86")]
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "xor ebp, ebp",
    "mov eax, esp",
    "and esp, -16",
    "sub esp, 12",
    "push eax",
    "call {entry}",
    "ud2",
    entry = sym crate::entry,
);

// AAPCS64: the kernel leaves sp 16-byte aligned; x29 is the frame pointer
// and x30 the link register.
#[cfg(target_arch = "aarch64")]
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "mov x29, #0",
    "mov x30, #0",
    "mov x0, sp",
    "bl {entry}",
    "udf #0",
    entry = sym crate::entry,
);

// AAPCS (armv7, hard-float or not): r11 is the frame pointer in ARM state,
// lr the link register; 8-byte alignment is the ABI's, 16 costs nothing.
#[cfg(target_arch = "arm")]
core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "mov r11, #0",
    "mov lr, #0",
    "mov r0, sp",
    "bic sp, sp, #15",
    "bl {entry}",
    "udf #0",
    entry = sym crate::entry,
);

// RISC-V: set the global pointer first (the linker may relax accesses near
// it into gp-relative ones), without letting that very load be relaxed.
#[cfg(target_arch = "riscv64")]
core::arch::global_asm!(
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
    entry = sym crate::entry,
);

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_arch = "arm",
    target_arch = "riscv64"
)))]
compile_error!("the example programs have a _start for x86_64, i686, aarch64, armv7 and riscv64");

/// `exit_group(code)`: ends the process (the programs' only way out; there
/// is no C runtime to return to).
pub fn exit(code: usize) -> ! {
    // SAFETY: exit_group ends the process and touches no memory of ours.
    let _ = unsafe { syscalls::syscall1(syscalls::Sysno::exit_group, code) };
    // exit_group does not return.
    loop {
        core::hint::spin_loop();
    }
}
