//! Links with `../no-eh-frame.ld`: no `.eh_frame` in a program that
//! never unwinds (about 2 KiB on every architecture). The path is made
//! absolute here, which `.cargo/config.toml` cannot do; x86_64 links
//! through `cc` (gcc-style flags), the others through rust-lld (ld-style),
//! as `programs/.cargo/config.toml` sets.
use std::env::var;

fn main() {
    let dir = var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let script = format!("{dir}/../no-eh-frame.ld");
    println!("cargo:rerun-if-changed=../no-eh-frame.ld");
    println!("cargo:rerun-if-changed=build.rs");
    if var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64") {
        println!("cargo:rustc-link-arg=-Wl,-T,{script}");
    } else {
        println!("cargo:rustc-link-arg=-T{script}");
    }
}
