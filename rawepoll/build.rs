//! Decides whether rustix will make raw system calls on this target, the
//! same way rustix's own build script does. Where it would not, the build
//! stops here with a clear error (`cargo::error`), before the crate is
//! compiled: no silent libc dependency, no confusing error from a
//! dependency, and no `cfg` for the crate's modules to repeat.
//!
//! rawepoll promises no libc. rustix (1.x) uses its raw-syscall backend on
//! Linux for `x86_64`, x86, aarch64, arm and riscv64; on powerpc,
//! powerpc64le, s390x and little-endian mips only when built with
//! `--cfg rustix_use_experimental_asm` (which needs a nightly compiler);
//! and on every other architecture never. Under Miri rustix always uses
//! libc shims; that is allowed, since nothing is linked there. A crate
//! elsewhere in the graph can still turn on rustix's `use-libc` feature,
//! which no `cfg` can see: check with `cargo tree -e normal -i libc` that
//! nothing pulls libc in.
//!
//! This is the one statement of the architecture rule. Cargo.toml repeats
//! it as the target cfg of the raw-syscall dependencies (Cargo cannot read
//! this script's verdict); `.ci/arch-rule` checks that the two agree.

use std::env::var;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    println!("cargo::rustc-check-cfg=cfg(rawepoll_epoll_wait)");

    let cfg = |name: &str| var(format!("CARGO_CFG_{name}")).unwrap_or_default();
    let has = |name: &str| var(format!("CARGO_CFG_{name}")).is_ok();
    let os = cfg("TARGET_OS");
    let arch = cfg("TARGET_ARCH");
    let little = cfg("TARGET_ENDIAN") == "little";
    let width = cfg("TARGET_POINTER_WIDTH");
    let experimental_asm = has("RUSTIX_USE_EXPERIMENTAL_ASM");

    if has("MIRI") {
        return; // rustix uses libc shims under Miri; nothing is linked there.
    }
    // rustix 1.x: linux_raw on these, with the endianness rule of its
    // Cargo.toml target tables (little-endian, or s390x / powerpc).
    let raw_backend = match arch.as_str() {
        "x86_64" | "aarch64" => width == "64",
        "x86" | "arm" | "riscv64" => true,
        "powerpc" | "s390x" => experimental_asm,
        "powerpc64" | "mips" | "mips32r6" | "mips64" | "mips64r6" => experimental_asm && little,
        _ => false,
    };
    let unsupported = if os != "linux" {
        Some("rawepoll supports Linux only: epoll is a Linux system call interface")
    } else if has("RUSTIX_USE_LIBC") {
        Some(
            "rawepoll: `--cfg rustix_use_libc` makes rustix call libc, and rawepoll promises \
             no libc; remove that cfg from RUSTFLAGS",
        )
    } else if !raw_backend {
        Some(
            "rawepoll: on this architecture rustix would make its system calls through libc, \
             and rawepoll promises none. On powerpc, powerpc64le, s390x and little-endian mips, \
             build with a nightly compiler and RUSTFLAGS=\"--cfg rustix_use_experimental_asm\" \
             to use rustix's raw-syscall backend; other architectures have no raw backend in \
             rustix yet (the rule is in rawepoll's build.rs)",
        )
    } else {
        None
    };
    // The architectures whose kernel has `epoll_wait` (the newer ones,
    // aarch64, riscv64 and loongarch64, have only `epoll_pwait`): the
    // cheapest wait, one argument fewer and no signal-mask handling.
    let epoll_wait = matches!(
        arch.as_str(),
        "x86_64"
            | "x86"
            | "arm"
            | "s390x"
            | "powerpc"
            | "powerpc64"
            | "mips"
            | "mips32r6"
            | "mips64"
            | "mips64r6"
    );
    if epoll_wait && unsupported.is_none() {
        println!("cargo:rustc-cfg=rawepoll_epoll_wait");
    }
    if let Some(refusal) = unsupported {
        // Stops the build before the crate is compiled (Cargo 1.84+).
        println!("cargo::error={refusal}");
    }
}
