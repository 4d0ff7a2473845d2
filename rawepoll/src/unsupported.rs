//! The refusals: on a target where rustix would make its system calls
//! through libc instead of its own `linux_raw` backend, the crate is one of
//! the errors below and nothing else.
//!
//! rawepoll promises no libc. rustix (1.x) uses its raw-syscall backend on
//! Linux for `x86_64`, x86, aarch64, arm and riscv64; on powerpc, powerpc64le,
//! s390x and little-endian mips only when built with
//! `--cfg rustix_use_experimental_asm` (which needs a nightly compiler); and
//! on every other architecture never. `build.rs` mirrors rustix's own rule
//! and sets `rawepoll_unsupported` where it fails; the crate then compiles
//! to nothing but one of the errors below. Under Miri rustix always uses
//! libc shims; that is allowed, since nothing is linked there.
//!
//! A crate elsewhere in the graph can still turn on rustix's `use-libc`
//! feature, which no `cfg` can see: check with
//! `cargo tree -e normal -i libc` that nothing pulls libc in.

#[cfg(rawepoll_unsupported = "os")]
compile_error!("rawepoll supports Linux only: epoll is a Linux system call interface");

#[cfg(rawepoll_unsupported = "use_libc")]
compile_error!(
    "rawepoll: `--cfg rustix_use_libc` makes rustix call libc, and rawepoll promises no libc; \
     remove that cfg from RUSTFLAGS"
);

#[cfg(rawepoll_unsupported = "arch")]
compile_error!(
    "rawepoll: on this architecture rustix would make its system calls through libc, \
     and rawepoll promises none. On powerpc, powerpc64le, s390x and little-endian mips, \
     build with a nightly compiler and RUSTFLAGS=\"--cfg rustix_use_experimental_asm\" to use \
     rustix's raw-syscall backend; other architectures have no raw backend in rustix yet \
     (the rule is in rawepoll's build.rs)."
);
