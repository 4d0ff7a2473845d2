//! The build refuses architectures on which rustix would make its system
//! calls through libc instead of its own `linux_raw` backend.
//!
//! rawepoll promises no libc. rustix (1.x) uses its raw-syscall backend on
//! Linux for x86_64, x86, aarch64, arm and riscv64; on powerpc, powerpc64,
//! s390x and mips only when built with `--cfg rustix_use_experimental_asm`
//! (which needs a nightly compiler); and on every other architecture never.
//! This condition mirrors rustix's own (its `Cargo.toml` and `build.rs`).
//! Under Miri rustix always uses libc shims; that is allowed, since nothing
//! is linked there.
//!
//! A crate elsewhere in the graph can still turn on rustix's `use-libc`
//! feature, which no `cfg` can see: check with
//! `cargo tree -e normal -i libc` that nothing pulls libc in.

#[cfg(all(not(miri), not(target_os = "linux")))]
compile_error!("rawepoll supports Linux only: epoll is a Linux system call interface");

#[cfg(all(not(miri), rustix_use_libc))]
compile_error!(
    "rawepoll: `--cfg rustix_use_libc` makes rustix call libc, and rawepoll promises no libc; \
     remove that cfg from RUSTFLAGS"
);

#[cfg(all(
    not(miri),
    target_os = "linux",
    not(any(
        all(target_arch = "x86_64", target_pointer_width = "64"),
        target_arch = "x86",
        all(target_arch = "aarch64", target_pointer_width = "64"),
        target_arch = "arm",
        target_arch = "riscv64",
        all(
            rustix_use_experimental_asm,
            any(
                target_arch = "powerpc",
                all(target_arch = "powerpc64", target_endian = "little"),
                target_arch = "s390x",
                all(
                    target_endian = "little",
                    any(
                        target_arch = "mips",
                        target_arch = "mips32r6",
                        target_arch = "mips64",
                        target_arch = "mips64r6"
                    )
                )
            )
        )
    ))
))]
compile_error!(
    "rawepoll: on this architecture rustix would make its system calls through libc, \
     and rawepoll promises none. On powerpc, powerpc64le, s390x and little-endian mips, \
     build with RUSTFLAGS=\"--cfg rustix_use_experimental_asm\" (nightly) to use rustix's \
     raw-syscall backend; other architectures (loongarch64, …) have no raw backend in rustix yet."
);
