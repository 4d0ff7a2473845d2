//! Decides whether rustix will make raw system calls on this target, the
//! same way rustix's own build script does, and tells the crate through a
//! cfg. Where it would not, the crate compiles to nothing but a clear
//! `compile_error!` (see src/unsupported.rs), rather than a silent libc
//! dependency or a confusing error from a dependency.
//!
//! This is the one statement of the architecture rule. Cargo.toml repeats
//! it as the target cfg of the raw-syscall dependencies (Cargo cannot read
//! this script's verdict); `.ci/arch-rule` checks that the two agree.

use std::env::var;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
    println!("cargo::rustc-check-cfg=cfg(rawepoll_unsupported, values(none(), \"os\", \"use_libc\", \"arch\"))");
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
        Some("os")
    } else if has("RUSTIX_USE_LIBC") {
        Some("use_libc")
    } else if !raw_backend {
        Some("arch")
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
    if let Some(reason) = unsupported {
        // The bare name turns the crate off; the value picks the message.
        println!("cargo:rustc-cfg=rawepoll_unsupported");
        println!("cargo:rustc-cfg=rawepoll_unsupported=\"{reason}\"");
    }
}
